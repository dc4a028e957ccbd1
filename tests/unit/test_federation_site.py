"""A site's answers in-process on a real node: acceptance, checkpoint, consent, audit; and the
hub's pure parts (combining counts, FedAvg, loopback, certificates)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from socle.config import Settings
from socle.consent import ConsentEvent
from socle.demo import source_patient_ids
from socle.federation import (
    FEDERATION_ACTOR,
    Acceptances,
    Site,
    StudyError,
    beyond_loopback,
    combine,
    committee_grant,
    make_hub_certificates,
    make_node_keys,
    newton,
)
from socle.federation.learning import (
    central_fit,
    combine_sums,
    feature_sums,
    fed_average,
    local_steps,
    predict,
)
from socle.node import Node

STUDY = "study-0123456789"


def _answers(node: Node) -> list[tuple[str, str, str]]:
    return [
        (e.object, e.details["kind"], e.outcome) for e in node.audit.events("federation.answer")
    ]


def test_a_site_answers_only_a_study_it_accepted_and_stops_when_it_withdraws(
    loaded: Node,
) -> None:
    site = Site(loaded, "site-a")
    refused = site.answer(STUDY, "count", {"condition": "SNOMED|73595000"})
    assert refused["status"] == "refused" and "not accepted" in refused["reason"]
    acceptances = Acceptances(loaded.engine, loaded.governance, loaded.audit)
    grant = committee_grant(loaded, "site-a", FEDERATION_ACTOR, f"Study {STUDY}")
    acceptances.accept(STUDY, grant, actor="steward@site-a")
    answer = site.answer(STUDY, "count", {"condition": "SNOMED|73595000"})
    assert answer["status"] == "ok" and answer["grant"] == grant
    counts = [row[-1] for row in answer["rows"]]
    assert all(c is None or c >= 10 for c in counts)  # three persons: everything suppressed
    # The answer is an automatic release of the site's desk, in its disclosure ledger.
    [auto] = loaded.audit.events("release.automatic")
    assert auto.details["channel"] == "federation" and STUDY in auto.details["reference"]
    ledger = loaded.desk.ledger(loaded.governance.grant(grant).request_id)
    assert {e.release_id for e in ledger} == {auto.object}
    assert all(e.released_value is None for e in ledger)
    acceptances.withdraw(STUDY, reason="committee decision", actor="steward@site-a")
    after = site.answer(STUDY, "count", {"condition": "SNOMED|73595000"})
    assert after["status"] == "refused" and "withdrew" in after["reason"]
    assert loaded.governance.grant(grant).revoked
    assert _answers(loaded) == [
        (STUDY, "count", "refused"),
        (STUDY, "count", "ok"),
        (STUDY, "count", "refused"),
    ]
    assert [e.object for e in loaded.audit.events("federation.study.withdrawn")] == [STUDY]


def test_an_objection_to_ai_training_stops_a_sites_contribution_from_the_next_answer(
    tmp_path: Path, small_sample: Path
) -> None:
    node = Node.open(
        Settings(home=tmp_path / "site", min_training_persons=1, min_training_events=0)
    )
    try:
        node.load(small_sample, actor="steward")
        grant = committee_grant(node, "site-a", FEDERATION_ACTOR, f"Study {STUDY}")
        Acceptances(node.engine, node.governance, node.audit).accept(STUDY, grant, actor="s")
        site = Site(node, "site-a")
        stats = site.answer(STUDY, "stats", {"round": 0})
        assert stats["status"] == "ok" and len(stats["sums"]["n"]) == 5
        prep = combine_sums([stats["sums"]])
        update = site.answer(STUDY, "train", {
            "round": 1, "weights": [0.0] * 6, "means": list(prep.means), "stds": list(prep.stds),
            "steps": 5, "lr": 0.5, "network_rows": 100,
        })  # fmt: skip
        assert update["status"] == "ok" and len(update["weights"]) == 6
        today = datetime.now(UTC).date()
        node.consent.record(
            [
                ConsentEvent(node.person_id(p), "ai_training", "objection", today, "portal", "patient")
                for p in source_patient_ids(small_sample)
            ],
            actor="patient-portal", role="patient",
        )  # fmt: skip
        after = site.answer(STUDY, "stats", {"round": 2})
        assert after["status"] == "refused" and "not enough data" in after["reason"]
    finally:
        node.close()


def test_a_dp_count_charges_the_sites_own_budget_and_is_refused_once_spent(
    loaded: Node,
) -> None:
    grant = committee_grant(loaded, "site-a", FEDERATION_ACTOR, f"Study {STUDY}", dp_epsilon=1.0)
    Acceptances(loaded.engine, loaded.governance, loaded.audit).accept(STUDY, grant, actor="s")
    site = Site(loaded, "site-a")
    ask = {"condition": "SNOMED|73595000", "by": "sex", "round": 1}
    noisy = site.answer(STUDY, "dp_count", {**ask, "epsilon": 0.6})
    assert noisy["status"] == "ok" and noisy["labels"][:3] == ["F", "M", "U"]
    assert noisy["epsilon"] == pytest.approx(0.6) and all(a > 0 for a in noisy["accuracy"])
    assert loaded.desk.budget(grant).spent_epsilon == pytest.approx(0.6)
    spent = site.answer(STUDY, "dp_count", {**ask, "epsilon": 0.6})
    assert spent["status"] == "refused" and "budget is spent" in spent["reason"]
    assert loaded.desk.budget(grant).spent_epsilon == pytest.approx(0.6)
    [auto] = loaded.audit.events("release.automatic")
    assert auto.details["dp"] == "histogram" and STUDY in auto.details["reference"]


def test_unknown_requests_are_refused_and_audited(loaded: Node) -> None:
    answer = Site(loaded, "site-a").answer(STUDY, "export_rows", {})
    assert answer["status"] == "refused"
    assert _answers(loaded) == [(STUDY, "export_rows", "refused")]


def test_a_study_id_that_is_not_the_hubs_is_refused(loaded: Node) -> None:
    acceptances = Acceptances(loaded.engine, loaded.governance, loaded.audit)
    with pytest.raises(StudyError, match="not a hub's study id"):
        acceptances.refuse("../etc", reason="x", actor="steward")


def test_a_cell_any_site_suppressed_is_suppressed_in_the_network_total() -> None:
    sites: dict[str, list[list[object]]] = {
        "a": [["F", 12], ["M", None]],
        "b": [["F", 20], ["M", 30]],
    }
    assert combine(sites) == [("F", 32), ("M", None)]


def test_fedavg_of_local_steps_ranks_like_the_central_fit() -> None:
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(3)
    X = rng.normal(size=(900, 5))
    X[rng.random(X.shape) < 0.1] = np.nan
    y = (rng.random(900) < 1 / (1 + np.exp(-(np.nan_to_num(X) @ [1.0, -0.5, 0.3, 0, 0.8])))).astype(
        int
    )
    parts = [slice(0, 200), slice(200, 500), slice(500, 900)]
    prep = combine_sums([feature_sums(X[p]) for p in parts])
    weights = [0.0] * 6
    for _ in range(10):
        updates = [
            (local_steps(weights, prep.apply(X[p]), y[p], steps=20, lr=0.5, network_rows=900),
             len(y[p]))
            for p in parts
        ]  # fmt: skip
        weights = fed_average(updates)
    central = central_fit(X, y, prep)
    federated_auc = roc_auc_score(y, predict(weights, prep.apply(X)))
    central_auc = roc_auc_score(y, predict(central, prep.apply(X)))
    assert abs(federated_auc - central_auc) < 0.01
    assert np.allclose(weights, central, atol=0.05)


def test_fedavg_of_the_neural_network_ranks_like_the_same_network_trained_centrally() -> None:
    from sklearn.metrics import roc_auc_score

    from socle.federation import mlp

    rng = np.random.default_rng(4)
    X = rng.normal(size=(1500, 5))
    logit = 1.5 * np.sin(X[:, 0]) - X[:, 1] * X[:, 2] + 0.5 * X[:, 3]  # not linear
    y = (rng.random(1500) < 1 / (1 + np.exp(-logit))).astype(int)
    parts = [slice(0, 300), slice(300, 800), slice(800, 1500)]
    prep = combine_sums([feature_sums(X[p]) for p in parts])
    Z = prep.apply(X)
    weights = mlp.initial(5)
    for _ in range(3):
        updates = [(mlp.local_steps(weights, Z[p], y[p], steps=200, lr=0.5, network_rows=1500),
                    len(y[p])) for p in parts]  # fmt: skip
        weights = fed_average(updates)
    central = mlp.central_fit(Z, y, steps=600, lr=0.5)
    federated_auc = roc_auc_score(y, mlp.predict(weights, Z))
    central_auc = roc_auc_score(y, mlp.predict(central, Z))
    linear_auc = roc_auc_score(y, predict(central_fit(X, y, prep), Z))
    assert abs(federated_auc - central_auc) < 0.01
    assert central_auc > linear_auc + 0.02  # the network learns what a linear model cannot


def test_the_default_network_schedule_trains_the_central_network_exactly_on_unlike_sites() -> None:
    """One gradient step a round: the FedAvg of the sites' steps, weighted by their disclosed
    (rounded) row counts, is the central step, however unlike the sites (split by the strongest
    feature, few rows each)."""
    from socle.federation import mlp
    from socle.privacy import disclose_count

    rng = np.random.default_rng(7)
    X = rng.normal(size=(90, 5))
    y = (X[:, 0] + X[:, 1] ** 2 > 1.0).astype(int)  # nearly separable, like the sample
    order = np.argsort(X[:, 0])  # sites split by the strongest feature: non-IID
    parts = [order[:22], order[22:53], order[53:]]  # 22, 31, 37 rows: disclosed 20, 30, 35
    rows = [disclose_count(len(p)) or 1 for p in parts]
    prep = combine_sums([feature_sums(X[p]) for p in parts])
    Z = prep.apply(X)
    weights = mlp.initial(5)
    for _ in range(mlp.ROUNDS):
        weights = fed_average([(mlp.local_steps(weights, Z[p], y[p], steps=mlp.STEPS, lr=mlp.LR,
                                                network_rows=sum(rows), site_rows=r), r)
                               for p, r in zip(parts, rows, strict=True)])  # fmt: skip
    central = mlp.central_fit(Z, y, steps=mlp.ROUNDS * mlp.STEPS, lr=mlp.LR, network_rows=sum(rows))
    assert np.allclose(weights, central, atol=1e-9)


def test_a_small_network_trains_by_exact_one_step_rounds_a_large_one_by_long_rounds() -> None:
    from socle.federation import mlp

    assert mlp.schedule(220) == (mlp.ROUNDS, 1, mlp.LR)  # the sample's three sites
    rounds, steps, _ = mlp.schedule(400_000)  # 100,000 persons
    assert steps > 1 and rounds * steps >= mlp.ROUNDS  # few Flower rounds, as many steps


def test_client_dp_clips_the_update_adds_the_gaussian_noise_and_states_its_budget() -> None:
    from socle.federation.learning import ClientDP

    dp = ClientDP(clip=0.5, epsilon=1.0, delta=1e-5)
    start = [0.0] * 6
    far = [10.0] * 6  # an update far beyond the clipping norm
    shifts = np.array([dp.privatise(far, start) for _ in range(4000)])
    # The noise is centred on the clipped update: its mean has norm `clip`, its spread the
    # Gaussian mechanism's (2 * clip * sqrt(2 ln(1.25/δ)) / ε, about 4.84 here).
    assert np.linalg.norm(shifts.mean(axis=0)) == pytest.approx(0.5, abs=0.4)
    assert shifts.std(axis=0) == pytest.approx([dp.noise_std] * 6, rel=0.05)
    assert dp.noise_std == pytest.approx(2 * 0.5 * np.sqrt(2 * np.log(1.25e5)), rel=1e-9)
    budget = dp.budget(rounds=3)
    assert (budget["epsilon"], budget["delta"]) == (3.0, 3e-5)


def test_the_registry_pipeline_of_a_federated_model_predicts_like_its_weights() -> None:
    from socle.federation.learning import as_pipeline

    rng = np.random.default_rng(5)
    X = rng.normal(2.0, 3.0, size=(50, 5))
    X[rng.random(X.shape) < 0.2] = np.nan
    prep = combine_sums([feature_sums(X)])
    weights = rng.normal(size=6).tolist()
    pipeline = as_pipeline(weights, prep)
    expected = predict(weights, prep.apply(X))
    assert np.allclose(pipeline.predict_proba(X)[:, 1], expected)


def test_only_loopback_addresses_count_as_local() -> None:
    found = {"127.0.0.1", "::1", "::ffff:127.0.0.1", "10.1.2.3", "2001:db8::1"}
    assert beyond_loopback(found) == {"10.1.2.3", "2001:db8::1"}


def test_the_hub_certificate_is_signed_by_the_network_ca_for_its_address(tmp_path: Path) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    certs = make_hub_certificates(tmp_path, ("127.0.0.1", "hub.example.org"))
    ca = x509.load_pem_x509_certificate(certs.ca.read_bytes())
    cert = x509.load_pem_x509_certificate(certs.certificate.read_bytes())
    cert.verify_directly_issued_by(ca)
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "hub.example.org" in names.get_values_for_type(x509.DNSName)
    assert certs.key.stat().st_mode & 0o077 == 0
    keys = make_node_keys(tmp_path, "site-a")
    public = serialization.load_ssh_public_key(keys.public.read_bytes())
    assert public.curve.name == "secp384r1"  # type: ignore[union-attr]


def test_the_sites_auroc_equals_scikit_learns_with_ties_and_one_class() -> None:
    from sklearn.metrics import roc_auc_score

    from socle.federation.learning import auroc

    rng = np.random.default_rng(7)
    y = (rng.random(500) < 0.3).astype(int)
    scores = np.round(rng.random(500) + 0.3 * y, 1)  # rounded: many ties
    assert auroc(y, scores) == pytest.approx(roc_auc_score(y, scores), abs=1e-12)
    assert np.isnan(auroc(np.zeros(5), np.arange(5.0)))


def test_one_round_of_local_newton_solves_lands_near_the_central_fit() -> None:
    rng = np.random.default_rng(5)
    X = rng.normal(size=(1200, 4))
    y = (rng.random(1200) < 1 / (1 + np.exp(-(X @ [0.8, -1.0, 0.2, 0.0])))).astype(int)
    parts = [slice(0, 400), slice(400, 800), slice(800, 1200)]
    prep = combine_sums([feature_sums(X[p]) for p in parts])
    pooled = local_steps([0.0] * 5, prep.apply(X), y, steps=50, lr=0.0, network_rows=1200)
    central = central_fit(X, y, prep)
    assert np.allclose(pooled, central, atol=1e-3)  # one site holding all: the central optimum
    weights = fed_average(
        [(local_steps([0.0] * 5, prep.apply(X[p]), y[p], steps=50, lr=0.0, network_rows=1200),
          400) for p in parts]
    )  # fmt: skip
    assert np.allclose(weights, central, atol=0.05)


def test_a_site_counts_a_standard_concept_with_its_descendants_through_its_checkpoint(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    from socle.demo import bundled_vocabulary
    from tests.conftest import loaded_home

    node = Node.open(Settings(home=loaded_home(tmp_path_factory)))
    try:
        node.load_vocabulary(bundled_vocabulary(), actor="steward")
        grant = committee_grant(node, "site-a", FEDERATION_ACTOR, f"Study {STUDY}")
        Acceptances(node.engine, node.governance, node.audit).accept(STUDY, grant, actor="s")
        site = Site(node, "site-a")

        def cells(**what: object) -> list[int]:
            answer = site.answer(STUDY, "secure_count", {"round": 1, "condition": "", **what})
            assert answer["status"] == "ok", answer
            return list(answer["cells"])

        # Stress: the standard concept gives the very grid of its source code.
        stress = cells(concept=4251306)
        assert stress == cells(condition="SNOMED|73595000") and sum(stress) > 0
        # An ancestor no row carries itself: its persons are its descendants' persons.
        [(own,)] = node.warehouse.aggregate(
            "SELECT count(*) FROM condition_occurrence WHERE condition_concept_id = 134057"
        )
        assert own == 0 and sum(cells(concept=134057)) > 0  # cardiovascular disorders
        # The checked answer (what leaves a site without SecAgg+) names no small count.
        answer = site.answer(STUDY, "count", {"round": 2, "condition": "", "concept": 134057})
        assert answer["status"] == "ok"
        assert all(r[-1] is None or r[-1] >= 10 for r in answer["rows"])
        [auto] = node.audit.events("release.automatic")
        assert auto.details["channel"] == "federation"
    finally:
        node.close()


def test_the_federated_network_as_a_registry_pipeline_predicts_as_its_weights() -> None:
    from socle.federation import mlp

    rng = np.random.default_rng(8)
    X = rng.normal(50.0, 10.0, size=(40, 5))
    X[rng.random(X.shape) < 0.1] = np.nan  # filled with the network's means, as at the sites
    prep = combine_sums([feature_sums(X)])
    weights = list(rng.normal(0.0, 0.5, size=mlp.size(5)))
    pipeline = mlp.as_pipeline(weights, prep)
    expected = mlp.predict(weights, prep.apply(X))
    assert np.allclose(pipeline.predict_proba(X)[:, 1], expected, atol=1e-12)


def test_federated_newton_reaches_the_central_optimum_where_averaging_small_sites_drifts() -> None:
    """Three sites of 20 persons, nearly separable each: the average of their local optima is
    far from the central fit; Newton rounds on the sites' sums land on it (the hub's side)."""
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(15)
    X = rng.normal(size=(60, 3))
    X[rng.random(X.shape) < 0.1] = np.nan
    y = (np.nan_to_num(X) @ [2.0, -1.5, 0.5] + 0.3 * rng.normal(size=60) > 0.4).astype(int)
    parts = [slice(0, 20), slice(20, 40), slice(40, 60)]
    prep = combine_sums([feature_sums(X[p]) for p in parts])
    averaged = fed_average(
        [(local_steps([0.0] * 4, prep.apply(X[p]), y[p], steps=50, lr=0.0, network_rows=60), 20)
         for p in parts]
    )  # fmt: skip
    central = central_fit(X, y, prep)
    assert np.max(np.abs(np.subtract(averaged, central))) > 0.1  # one-shot averaging drifts
    search, rounds = newton.Search(1e-9), 0
    while rounds < 12 and not search.converged:
        rounds += 1
        candidates = search.candidates([averaged, [0.0] * 4])
        steps = [
            newton.newton_step(c, [newton.site_sums(c, prep.apply(X[p]), y[p]) for p in parts])
            for c in candidates
        ]
        search.update(steps, frozenset({"a", "b", "c"}))
    assert search.current is not None and search.converged, rounds
    weights = search.current.weights
    assert np.allclose(weights, central, atol=1e-6)
    assert search.certificate(rounds)["gradient_norm"] < 1e-6
    Z = prep.apply(X)
    assert roc_auc_score(y, predict(weights, Z)) == roc_auc_score(y, predict(central, Z))


def test_a_site_answers_a_newton_round_with_sums_and_checked_auroc_and_refuses_probing_weights(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    from tests.conftest import loaded_home

    home = loaded_home(tmp_path_factory)  # the 50-person sample
    node = Node.open(Settings(home=home, min_training_persons=5, min_training_events=10))
    try:
        grant = committee_grant(node, "site-a", FEDERATION_ACTOR, f"Study {STUDY}")
        Acceptances(node.engine, node.governance, node.audit).accept(STUDY, grant, actor="s")
        site = Site(node, "site-a")
        stats = site.answer(STUDY, "stats", {"round": 0})
        prep = combine_sums([stats["sums"]])
        common = {"means": list(prep.means), "stds": list(prep.stds)}
        answer = site.answer(STUDY, "newton", {"round": 1, **common,
                                              "candidates": [[0.0] * 6, [0.1] * 6]})  # fmt: skip
        assert answer["status"] == "ok", answer
        assert [len(a["hessian"]) for a in answer["at"]] == [6, 6]
        assert all(set(a) >= {"loss", "gradient", "auroc", "withheld_by"} for a in answer["at"])
        assert "spread" not in answer["at"][0]
        # Weights steep on one feature put every row but a few at certainty: the sums would
        # describe those few persons. The site refuses, and says why without a count.
        probing = [600.0, 0.0, 0.0, 0.0, 0.0, 0.0]  # rests on the ~8 rows of one age
        mixed = site.answer(STUDY, "newton", {"round": 2, **common,
                                             "candidates": [[0.0] * 6, probing]})  # fmt: skip
        assert mixed["status"] == "ok" and "loss" in mixed["at"][0]
        assert set(mixed["at"][1]) == {"withheld"} and "fewer rows" in mixed["at"][1]["withheld"]
        refused = site.answer(STUDY, "newton", {"round": 3, **common, "candidates": [probing]})
        assert refused["status"] == "refused" and "fewer rows" in refused["reason"]
        assert [d for _, d, _ in _answers(node)][-3:] == ["newton"] * 3
    finally:
        node.close()


def test_the_newton_search_never_accepts_weights_a_site_withheld_its_sums_for() -> None:
    Z = np.array([[-1.0], [0.0], [1.0], [2.0]])
    y = np.array([0, 1, 0, 1])
    start = newton.newton_step([0.0, 0.0], [newton.site_sums([0.0, 0.0], Z, y)])
    search = newton.Search(1e-9)
    assert search.update([None, None], frozenset({"a"})) is None and search.current is None
    assert search.update([None, start], frozenset({"a"})) == 1  # the one every site answered
    before = search.lengths
    assert search.update([None] * len(before), frozenset({"a"})) is None  # all withheld
    assert search.current is start and search.lengths == tuple(t / 16 for t in before)


def test_flower_retries_a_messages_objects_after_a_twentieth_of_a_second() -> None:
    """The pinned Flower still has the backoff Socle shortens (else rounds wait 1 s again)."""
    from flwr.supercore.inflatable import inflatable_utils

    from socle.federation.supernode import OBJECT_RETRY, quick_object_pulls

    defaults = inflatable_utils.pull_objects.__kwdefaults__
    assert defaults is not None
    before = defaults["initial_backoff"]
    try:
        quick_object_pulls()
        assert defaults["initial_backoff"] == OBJECT_RETRY == 0.05
    finally:
        defaults["initial_backoff"] = before
