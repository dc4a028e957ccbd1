"""A real Flower network on loopback: SuperLink + three SuperNodes over TLS with node
authentication, each site answering through its own Socle node (one network per module)."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from socle.ai import build_training_set, trace_model
from socle.api import Principal, Role
from socle.config import Settings
from socle.demo import bundled_sample, bundled_vocabulary
from socle.federation import (
    FEDERATION_ACTOR,
    Acceptances,
    Federation,
    Hub,
    NetworkError,
    QuorumError,
    SiteNode,
    make_hub_certificates,
    make_node_keys,
)
from socle.federation.learning import (
    ClientDP,
    auroc,
    central_fit,
    combine_sums,
    feature_sums,
    held_out,
    predict,
)
from socle.federation.local import LocalNetwork, build_network, committee_grant
from socle.federation.network import CONNECTION, beyond_loopback, peer_addresses
from socle.node import Node
from tests.apiclient import api_client, token_for
from tests.conftest import loaded_home

pytestmark = pytest.mark.slow
CONDITION = "SNOMED|73595000"  # stress: the demo's condition
STRESS = 4251306  # its standard concept (the bundled vocabulary)
RESEARCHER = "investigator@hub"
# 50 sample persons split three ways: a site holds ~17; training minimums sized for that.
SITE_ENV = {"SOCLE_MIN_TRAINING_PERSONS": "5", "SOCLE_MIN_TRAINING_EVENTS": "2"}
FAST: dict[str, Any] = {"round-timeout": 90.0, "join-timeout": 60.0}


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalNetwork]:
    folder = tmp_path_factory.mktemp("federation")
    net = build_network(
        folder, bundled_sample(), quorum=2, site_env=SITE_ENV, vocabulary=bundled_vocabulary()
    )
    net.start()
    yield net
    net.stop()


@pytest.fixture(scope="module")
def fed(network: LocalNetwork) -> Iterator[Federation]:
    """The hub's node with one study session open for the module: every task is its rounds,
    not a `flwr run` of its own (the sessions' own behaviour is what the tests exercise)."""
    hub = network.open_hub()
    try:
        with network.federation(hub).session(network.study.id, actor=RESEARCHER, **FAST) as f:
            yield f
    finally:
        hub.close()


@pytest.fixture(scope="module")
def central(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Node, str]]:
    """The same persons pooled in one node, with the same kind of grant (a copy of the test
    run's one load of the sample)."""
    node = Node.open(Settings(home=loaded_home(tmp_path_factory)))
    grant = committee_grant(node, "central", FEDERATION_ACTOR, "The study, centrally")
    yield node, grant
    node.close()


def _answers(net: LocalNetwork, site: str, study: str) -> list[dict[str, object]]:
    node = net.open_site(site)
    try:
        return [
            {**e.details, "outcome": e.outcome}
            for e in node.audit.events("federation.answer")
            if e.object == study
        ]
    finally:
        node.close()


def test_counts_across_sites_match_central_counts_and_every_site_audits_the_study(
    network: LocalNetwork, fed: Federation, central: tuple[Node, str]
) -> None:
    before = {site: len(_answers(network, site, network.study.id)) for site in network.site_names}
    # In the study session: counts (plain, feasibility, DP, SecAgg+) in one Flower run.
    counts = fed.count(network.study.id, CONDITION, actor=RESEARCHER, **FAST)
    feasible = fed.feasibility(network.study.id, CONDITION, actor=RESEARCHER, **FAST)
    by_concept = fed.feasibility(network.study.id, STRESS, actor=RESEARCHER, **FAST)
    noisy = fed.dp_count(network.study.id, CONDITION, 0.5, actor=RESEARCHER, **FAST)
    secure = fed.count(network.study.id, CONDITION, actor=RESEARCHER, secure=True, **FAST)
    hub_events = [
        e for e in fed.node.audit.events("federation.count") if e.object == network.study.id
    ]
    sessions = [e.details["state"] for e in fed.node.audit.events("federation.session")]
    node, grant = central
    report = node.workspace.check_condition_counts(
        grant, CONDITION, ("age_band", "sex"), actor=FEDERATION_ACTOR
    )
    central_cells = {tuple(r[:-1]): r[-1] for r in report.rows}
    fed_cells = {tuple(r[:-1]): r[-1] for r in counts.rows}
    assert fed_cells.keys() == central_cells.keys()
    released = {k: v for k, v in fed_cells.items() if v is not None}
    assert released, "the network total is released"
    for cell, value in released.items():  # what the network releases is the central count
        assert value == central_cells[cell], cell
    for cell, value in central_cells.items():  # what central checks hide, the network hides
        if value is None:
            assert fed_cells[cell] is None, cell
    for rows in counts.sites.values():  # sites send "suppressed", never a small count
        assert all(r[-1] is None or r[-1] >= 10 for r in rows)
    assert hub_events[-1].outcome == "ok" and sessions == ["open"]
    assert feasible == fed_cells[("All", "All")]  # the checked network total
    assert by_concept == feasible  # the standard concept (and descendants) = its source code
    assert noisy.labels == ("persons",) and noisy.epsilon == dict.fromkeys(network.site_names, 0.5)
    assert noisy.accuracy[0] > 0
    for site in network.site_names:
        answers = _answers(network, site, network.study.id)[before[site] :]
        assert [(a["kind"], a["status"]) for a in answers] == [
            ("count", "ok"), ("count", "ok"), ("count", "ok"), ("dp_count", "ok"),
            ("secure_count", "ok"),
        ]  # fmt: skip
    # SecAgg+: the sites send exact counts, masked; the hub checks the totals as central does.
    assert {tuple(r[:-1]): r[-1] for r in secure.rows} == central_cells
    exact = [_exact_counts(network, site) for site in network.site_names]
    assert len(secure.received) == len(network.site_names)
    for vector in secure.received:  # what the hub received is no site's count
        for site_counts in exact:
            assert len(vector) == len(site_counts)
            unmasked = [2**27 + 128 * c for c in site_counts]  # a cell as SecAgg+ quantises it
            assert any(abs(v - u) > 1 for v, u in zip(vector, unmasked, strict=True))


def test_only_registered_sites_join_and_no_process_talks_beyond_loopback(
    network: LocalNetwork,
) -> None:
    keys = make_node_keys(network.folder / "rogue-keys", "rogue")
    rogue = SiteNode(
        "rogue", network.site_home(network.site_names[0]), network.folder / "rogue", keys,
        network.hub.address, network.hub.certificates.ca,
    )  # fmt: skip
    try:
        # Refused so fast that it may stop before its own port is up: start says so; go on.
        with contextlib.suppress(NetworkError):
            rogue.start()
        assert rogue.process is not None
        rogue.process.popen.wait(timeout=120)  # the SuperLink refuses it: the SuperNode gives up
        log = rogue.process.log.read_text()
        assert "Failed to activate SuperNode" in log and "SuperNode ID" not in log
    finally:
        rogue.stop()
    for site in network.sites:
        assert site.process is not None and "SuperNode ID" in site.process.log.read_text()
    peers = peer_addresses(network.pids())
    assert peers, "the SuperNodes hold connections to the SuperLink"
    assert beyond_loopback(peers) == set()


def test_a_restarted_hub_registers_its_sites_keys_again_and_forgets_an_unregistered_one(
    tmp_path: Path,
) -> None:
    """The SuperLink keeps its state in memory (fast rounds); the sites' keys outlive it."""
    certificates = make_hub_certificates(tmp_path / "pki")
    keys = make_node_keys(tmp_path / "keys", "site-x")
    hub = Hub(tmp_path / "superlink", certificates).start()
    try:
        hub.register("site-x", keys)
    finally:
        hub.stop()
    hub = Hub(tmp_path / "superlink", certificates).start()
    try:
        listed = json.loads(hub.flwr("supernode", "list", CONNECTION, "--format", "json").stdout)
        assert [n["status"] for n in listed["nodes"]] == ["registered"]
        assert hub.unregister("site-x") and not hub.unregister("site-x")
        assert list(hub.sites_folder.glob("*.pub")) == []
        with pytest.raises(NetworkError, match="a site's name"):
            hub.register("../site-x", keys)
    finally:
        hub.stop()


def _pooled_rows(
    network: LocalNetwork, names: list[str]
) -> tuple[np.ndarray, np.ndarray, list[np.ndarray], list[np.ndarray]]:
    """The sites' training rows pooled (read through each site's checkpoint, as its answers
    are), and each site's held-out rows."""
    train_X, train_y, test_X, test_y = [], [], [], []
    for name in names:
        node = network.open_site(name)
        try:
            grant = Acceptances(node.engine, node.governance, node.audit).grant_for(
                network.study.id
            )
            with node.workspace.session(grant, "federated_training", actor=FEDERATION_ACTOR) as ws:
                data = build_training_set(ws)
        finally:
            node.close()
        test = held_out(data.groups)
        train_X.append(data.X[~test])
        train_y.append(data.y[~test])
        test_X.append(data.X[test])
        test_y.append(data.y[test])
    return np.vstack(train_X), np.concatenate(train_y), test_X, test_y


def test_federated_newton_registers_the_central_optimum_of_the_sites_pooled_rows(
    network: LocalNetwork, fed: Federation
) -> None:
    """~17 persons a site: averaging local optima drifts, the Newton rounds do not. The central
    fit is made here from the answering sites' own training rows (read through each site's
    checkpoint, as its answers are), pooled."""
    model = fed.train(network.study.id, actor=RESEARCHER, tol=1e-9, **FAST)
    exact = model.lineage["newton"]
    assert exact["converged"] and exact["gradient_norm"] < 1e-6
    kinds = [r["kind"] for r in model.rounds]
    assert kinds[:2] == ["stats", "train"] and set(kinds[2:]) == {"newton"}  # no evaluate round
    answered = model.rounds[-1]["answered"]
    assert len(answered) >= 2 and set(model.metrics) == set(answered)
    X, y, test_X, test_y = _pooled_rows(network, answered)
    prep = combine_sums([feature_sums(X)])
    assert np.allclose(model.means, prep.means) and np.allclose(model.stds, prep.stds)
    central = central_fit(X, y, prep)
    assert np.allclose(model.weights, central, atol=1e-6)
    # Every pooled row (the held-out ones alone may hold no event in a 50-person sample).
    Z = prep.apply(np.vstack([X, *test_X]))
    every_y = np.concatenate([y, *test_y])
    assert auroc(every_y, predict(model.weights, Z)) == pytest.approx(
        auroc(every_y, predict(central, Z)), abs=1e-12
    )


def test_the_federated_neural_network_is_the_central_network_of_the_sites_pooled_rows(
    network: LocalNetwork, fed: Federation
) -> None:
    """One gradient step a round (the default schedule), each site's step weighted by its
    disclosed row count: the registered weights are those of the same steps taken centrally
    on the pooled rows, with the network's disclosed row count as the divisor."""
    from socle.federation import mlp

    model = fed.train(network.study.id, actor=RESEARCHER, model="mlp", rounds=4, **FAST)
    assert model.family == "mlp" and model.lineage["steps"] == 1 and model.lineage["lr"] == mlp.LR
    answered = model.rounds[-1]["answered"]
    X, y, _, _ = _pooled_rows(network, answered)
    prep = combine_sums([feature_sums(X)])
    rows = model.lineage["network_rows"]
    assert rows and abs(rows - len(y)) <= 5 * len(answered)  # rounded to 5 at each site
    central = mlp.central_fit(prep.apply(X), y, steps=4, lr=mlp.LR, network_rows=rows)
    assert np.allclose(model.weights, central, atol=1e-9)
    assert not np.allclose(model.weights, mlp.initial(len(prep.means)), atol=1e-3)  # it trained


def test_training_goes_on_with_the_quorum_when_a_site_withdraws_mid_run_and_records_lineage(
    network: LocalNetwork, fed: Federation
) -> None:
    """Site C withdraws as soon as it has answered round 1: from the next message it answers
    it contributes nothing, the two others (the study's quorum) finish; the model's lineage
    names who took part. (A round takes ~0.5 s: which round C refuses first depends on when
    the withdrawal lands, so the test runs four and checks the cut, wherever it falls.)"""
    leaving = network.site_names[-1]
    withdrew = threading.Event()

    def round_ones() -> int:  # this module's earlier trainings answered some already
        answers = _answers(network, leaving, network.study.id)
        return sum(1 for a in answers if a["kind"] == "train" and a["round"] == 1)

    before = round_ones()

    def withdraw_after_round_one() -> None:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            if round_ones() > before:
                _withdraw(network, leaving)
                withdrew.set()
                return
            time.sleep(0.05)

    watcher = threading.Thread(target=withdraw_after_round_one, daemon=True)
    watcher.start()
    try:
        model = fed.train(
            network.study.id, actor=RESEARCHER, rounds=4, dp=ClientDP(1.0, 2.0, 1e-5), **FAST
        )
        lineage = fed.model_lineage(model.id)
        registered = fed.node.models.info(model.id)
        trace = [link.kind for link in trace_model(model.id, fed.node.audit.events())]
        pipeline = fed.node.models.load(model.id)
    finally:
        watcher.join(60)
        _accept_again(network, leaving)
    assert withdrew.is_set()
    assert lineage["study"] == network.study.id
    assert set(lineage["sites"]) == set(network.site_names)  # each site's grant while it took part
    answered = [(r["kind"], r["round"], r["answered"]) for r in lineage["per_round"]]
    assert [(k, n) for k, n, _ in answered] == [("stats", 0), *(("train", n) for n in range(1, 5)),
                                                ("evaluate", 5)]  # fmt: skip
    cut = next(i for i, (_, _, sites) in enumerate(answered) if leaving not in sites)
    assert cut >= 2 and all(sites == list(network.site_names) for _, _, sites in answered[:cut])
    assert all(sites == list(network.site_names[:2]) for _, _, sites in answered[cut:])
    assert all(r["bytes_received"] > 0 for r in lineage["per_round"])
    assert len(model.weights) == 6
    # Client-side DP at every site: the budget spent over the four training rounds.
    dp = lineage["differential_privacy"]
    assert (dp["epsilon"], dp["delta"], dp["clip"]) == (8.0, 4e-5, 1.0)
    # In the hub's model registry: the college's stages apply, the audit trace reaches the
    # hub committee's decision, the stored pipeline is the federated model.
    assert registered.stage == "development"
    assert trace == ["model", "grant", "decision", "request"]
    assert set(lineage["site_snapshots"]) == set(network.site_names)
    coefficients = pipeline[-1].coef_[0].tolist() + pipeline[-1].intercept_.tolist()
    assert coefficients == pytest.approx(model.weights)
    for metrics in model.metrics.values():  # only checked metrics leave a site
        assert metrics["auroc"] is None or 0.0 <= metrics["auroc"] <= 1.0
        assert metrics["auroc"] is None or not metrics["withheld_by"]
    # Its last answer, to the round of the cut, is a refusal (the withdrawal's reason).
    kind, round_, _ = answered[cut]
    last = _answers(network, leaving, network.study.id)[-1]
    assert (last["kind"], last["round"], last["status"]) == (kind, round_, "refused")
    assert "withdrew" in str(last["reason"])


def test_the_hubs_catalogue_answers_network_feasibility_over_http_in_the_open_session(
    network: LocalNetwork, fed: Federation
) -> None:
    """``POST /catalog/network-feasibility`` at the hub: a data steward asks for a concept with
    its descendants; each site answers through its checkpoint and desk, the hub checks the
    total; audited at the hub (the caller and their role) and at every site (the study); a
    patient is refused, and a bad body names the field."""
    before = {site: len(_answers(network, site, network.study.id)) for site in network.site_names}
    expected = fed.feasibility(network.study.id, CONDITION, actor=RESEARCHER, **FAST)
    with api_client(network.folder / "hub") as client:
        me = token_for(client, Principal("ana@hub", frozenset({Role.DATA_STEWARD})))
        body = {"study": network.study.id, "concept": STRESS}
        answer = client.post("/catalog/network-feasibility", json=body, headers=me)
        patient = token_for(client, Principal("p1", frozenset({Role.PATIENT})))
        refused = client.post("/catalog/network-feasibility", json=body, headers=patient)
        both = client.post(
            "/catalog/network-feasibility", json={**body, "condition": CONDITION}, headers=me
        )
    assert answer.status_code == 200, answer.text
    assert answer.json()["persons"] == expected and answer.json()["seconds"] < 60
    assert refused.status_code == 403
    assert both.status_code == 422 and "either a concept or a condition" in both.text
    asked = [e for e in fed.node.audit.events("federation.count") if e.actor == "ana@hub"]
    assert asked and asked[-1].object == network.study.id and asked[-1].outcome == "ok"
    assert asked[-1].role == Role.DATA_STEWARD  # the caller's own role, not a researcher's
    for site in network.site_names:  # the plain count, then the API's: both audited at the site
        answers = _answers(network, site, network.study.id)[before[site] :]
        assert [(a["kind"], a["status"]) for a in answers] == [("count", "ok")] * 2


def test_a_withdrawn_site_and_a_disconnected_site_stop_the_run_below_quorum(
    network: LocalNetwork, fed: Federation
) -> None:
    """Site C's committee withdraws; site A's SuperNode goes down: the run stops with a clear
    error, the hub's audit names the refusal and the silent site, site C's audit the refusal."""
    withdrawn, down = network.site_names[-1], network.sites[0]
    _withdraw(network, withdrawn)
    down.stop()
    try:
        # A run of its own, outside the module's session: the message the stopped site never
        # answered ends with this run instead of waiting for the site's return.
        with pytest.raises(QuorumError, match="1 site\\(s\\) answered, the study's quorum is 2"):
            network.federation(fed.node).count(
                network.study.id, CONDITION, actor=RESEARCHER,
                **{**FAST, "join-timeout": 5.0, "round-timeout": 15.0},
            )  # fmt: skip
        events = fed.node.audit.events("federation.count")
        stopped = [e for e in events if e.outcome == "stopped"][-1]
    finally:
        _accept_again(network, withdrawn)
        down.start()
    [round_] = stopped.details["rounds"]
    assert round_["answered"] == [network.site_names[1]]
    assert list(round_["refused"]) == [withdrawn] and round_["missing"] == 1
    answers = _answers(network, withdrawn, network.study.id)
    assert answers[-1]["status"] == "refused" and "withdrew" in str(answers[-1]["reason"])


def test_a_second_count_that_differs_by_a_few_persons_is_refused_by_the_sites_ledger(
    network: LocalNetwork, fed: Federation
) -> None:
    """Each answer is an automatic release in the site's disclosure ledger: after one patient
    with the condition objects at site A, a second network count would differ from the first by
    one person (a differencing pair), so site A refuses it; the two others answer (quorum 2)."""
    site = network.site_names[0]
    first = fed.count(network.study.id, CONDITION, actor=RESEARCHER, **FAST)
    assert site in first.sites
    objector = _consent(network, site, "objection")
    try:
        second = fed.count(network.study.id, CONDITION, actor=RESEARCHER, **FAST)
    finally:
        _consent(network, site, "withdraw_objection", objector)
    stopped = list(fed.node.audit.events("federation.count"))[-1]
    assert site not in second.sites and len(second.sites) == 2
    [round_] = stopped.details["rounds"]
    assert "differencing" in round_["refused"][site]
    node = network.open_site(site)
    try:
        released = [e for e in node.audit.events("release.automatic")
                    if str(e.details["reference"]).startswith(network.study.id)
                    and "dp" not in e.details]  # tables; DP answers spend ε instead  # fmt: skip
        entries = node.desk.ledger(node.governance.grant(_grant(node, network)).request_id)
    finally:
        node.close()
    assert released and released[-1].details["channel"] == "federation"
    assert {e.release_id for e in entries} >= {e.object for e in released}


def _exact_counts(network: LocalNetwork, site: str) -> list[int]:
    node = network.open_site(site)
    try:
        _, rows = node.workspace.secure_condition_counts(
            _grant(node, network), CONDITION, actor=FEDERATION_ACTOR
        )
    finally:
        node.close()
    return [int(r[-1]) for r in rows]  # type: ignore[call-overload]


def _consent(network: LocalNetwork, site: str, kind: str, person: int | None = None) -> int:
    """One person with the condition at ``site`` objects to research (or withdraws it)."""
    from datetime import UTC, datetime

    from socle.consent import ConsentEvent

    node = network.open_site(site)
    try:
        if person is None:
            [(person,)] = node.warehouse.aggregate(
                "SELECT min(person_id) FROM condition_occurrence WHERE condition_source_value = ?",
                [CONDITION],
            )
        today = datetime.now(UTC).date()
        event = ConsentEvent(int(person), "research", kind, today, "portal", "patient")  # type: ignore[arg-type]
        node.consent.record([event], actor="patient-portal", role="patient")
    finally:
        node.close()
    return int(person)


def _grant(node: Node, network: LocalNetwork) -> str:
    return Acceptances(node.engine, node.governance, node.audit).grant_for(network.study.id)


def _withdraw(network: LocalNetwork, site: str) -> None:
    node = network.open_site(site)
    try:
        Acceptances(node.engine, node.governance, node.audit).withdraw(
            network.study.id, reason="the site's committee withdrew", actor=f"steward@{site}"
        )
    finally:
        node.close()


def _accept_again(network: LocalNetwork, site: str) -> None:
    """Leave the network as the other tests expect it (they run in random order)."""
    node = network.open_site(site)
    try:
        grant = committee_grant(node, site, FEDERATION_ACTOR, "The study, accepted again")
        Acceptances(node.engine, node.governance, node.audit).accept(
            network.study.id, grant, actor=f"steward@{site}"
        )
    finally:
        node.close()
