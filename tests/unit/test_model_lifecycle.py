"""A model's life under human guarantee: stages by decision, safe artefacts, lineage back to
the committee, predictions only when deployed, reasons, FHIR, monitoring and the college."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from socle.ai import (
    ModelSuspendedError,
    StageError,
    UnsafeArtifactError,
    build_training_set,
    explain,
    trace_model,
)
from socle.config import Settings
from socle.guarantee import GuaranteeError, decisions_bundle
from socle.node import Node
from tests.conftest import loaded_home
from tests.helpers import COLLEGE_MEMBER, approved_grant, deploy
from tests.helpers import TRAINING_VARIABLES as VARIABLES

INPUTS = {"age": 52.0, "male": 1.0, "bmi": 31.0, "systolic_bp": 138.0, "glucose": 101.0}


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    n = Node.open(Settings(home=loaded_home(tmp_path_factory)))
    n.grant_id = approved_grant(n, variables=VARIABLES, output_types=("model_training",))  # type: ignore[attr-defined]
    n.model_id = n.models.train(n.workspace, n.grant_id, actor="researcher").id  # type: ignore[attr-defined]
    yield n
    n.close()


def _fresh_model(node: Node) -> str:
    return node.models.train(node.workspace, node.grant_id, actor="researcher").id  # type: ignore[attr-defined]


def test_an_undeployed_model_makes_no_prediction_and_says_why(node: Node) -> None:
    model_id = node.model_id  # type: ignore[attr-defined]
    assert node.models.info(model_id).stage == "development"
    with pytest.raises(ModelSuspendedError, match="it is development"):
        node.guarantee.predict(model_id, "p", INPUTS, clinician="dr", care_context="c")


def test_stages_move_only_by_the_role_the_lifecycle_names(node: Node) -> None:
    model_id = _fresh_model(node)
    with pytest.raises(StageError, match="committee_member, not college_member"):
        node.models.transition(model_id, "validated", actor="x", role="college_member", reason="r")
    with pytest.raises(StageError, match="its trainer cannot validate it"):
        node.models.transition(model_id, "validated", actor="researcher",
                               role="committee_member", reason="r")  # fmt: skip
    with pytest.raises(StageError, match="not an appointed committee member"):
        node.models.transition(model_id, "validated", actor="stranger",
                               role="committee_member", reason="r")  # fmt: skip
    with pytest.raises(StageError, match="cannot move to deployed"):
        node.models.transition(model_id, "deployed", actor=COLLEGE_MEMBER,
                               role="college_member", reason="r")  # fmt: skip
    deploy(node, model_id)
    [event] = [e for e in node.audit.events("model.stage") if e.object == model_id
               and e.details["to"] == "deployed"]  # fmt: skip
    assert event.actor == COLLEGE_MEMBER and event.role == "college_member"
    with pytest.raises(GuaranteeError, match="not an appointed member of the college"):
        node.college.decide(model_id, "suspend", actor="chair", reason="no")


def test_artefacts_are_skops_checked_by_hash_and_never_unpickled(node: Node) -> None:
    model_id = _fresh_model(node)
    folder = node.settings.models_dir / model_id
    assert (folder / "model.skops").is_file() and not list(folder.glob("*.pkl"))
    fresh = type(node.models)(node.engine, node.audit, node.settings.models_dir)
    assert fresh.load(model_id).predict_proba(np.zeros((1, 5))).shape == (1, 2)
    (folder / "model.skops").write_bytes((folder / "model.skops").read_bytes() + b"\0")
    with pytest.raises(UnsafeArtifactError, match="changed since registration"):
        type(node.models)(node.engine, node.audit, node.settings.models_dir).load(model_id)


def test_lineage_traces_the_model_back_to_the_committee_decision(node: Node) -> None:
    model_id = node.model_id  # type: ignore[attr-defined]
    lineage = node.models.lineage(model_id)
    assert lineage["grant"] == node.grant_id  # type: ignore[attr-defined]
    assert lineage["definition_id"] == "hypertension-5y"
    for key in ("code_sha256", "training_set_sha256", "definition_sha256", "artifact_sha256"):
        assert len(lineage[key]) == 64
    assert lineage["parameters"]["solver"] == "lbfgs" and "scikit-learn" in lineage["libraries"]
    chain = trace_model(model_id, node.audit.events())
    assert [k.kind for k in chain][-4:] == ["model", "grant", "decision", "request"]
    assert chain[-4].event.details["training_set_sha256"] == lineage["training_set_sha256"]


def test_documents_are_versioned_with_the_model_and_checked_like_a_release(node: Node) -> None:
    model_id = node.model_id  # type: ignore[attr-defined]
    report = node.models.report(model_id)
    assert report["checks"][0]["name"] == "persons_and_events"
    withheld = [w for w in report["warnings"] if w.startswith("subgroup")]
    assert withheld, "the sample is small: some subgroups must be withheld"
    for group in withheld:
        name = group.split()[1].rstrip(":")
        assert all(v is None for v in report["subgroups"].get(name, {}).values())
    tripod = report.get("tripod_ai") or {}
    card = node.models.document(model_id, "card").read_text()
    assert "Model card" in card and node.models.lineage(model_id)["code_sha256"][:16] in card
    annex = node.models.document(model_id, "annex-iv").read_text()
    for heading in ("General description", "Data and data governance", "Risk management",
                    "Post-market monitoring"):  # fmt: skip
        assert heading in annex
    fr = node.models.document(model_id, "notice-fr").read_text()
    assert "Usage prévu" in fr and "garantie humaine" in fr
    import hashlib

    en = node.models.document(model_id, "notice-en").read_bytes()
    assert hashlib.sha256(en).hexdigest() == node.models.info(model_id).notice_sha256
    assert tripod == {} or tripod["completeness_pct"] > 50


def test_prediction_explanation_equals_shap_linear_explainer(node: Node) -> None:
    import shap

    model_id = node.model_id  # type: ignore[attr-defined]
    pipeline = node.models.load(model_id)
    x = np.array([INPUTS[f] for f in node.models.info(model_id).features])
    scaled = pipeline[:-1].transform(x.reshape(1, -1))
    values = shap.LinearExplainer(pipeline[-1], np.zeros((1, 5))).shap_values(scaled)[0]
    assert list(explain(pipeline, x).values()) == pytest.approx(list(values), abs=1e-4)


def test_the_closed_form_score_and_explanation_equal_the_pipeline_and_shap(node: Node) -> None:
    """What a prediction returns is predict_proba and LinearExplainer's SHAP values, row by row,
    missing inputs included (filled as the pipeline's imputer fills them)."""
    import shap

    model_id = node.model_id  # type: ignore[attr-defined]
    pipeline, features = node.models.load(model_id), node.models.info(model_id).features
    scorer = node.models.scorer(model_id)
    with node.workspace.session(node.grant_id, "model_training", actor="researcher") as ws:  # type: ignore[attr-defined]
        X = build_training_set(ws).X
    assert np.isnan(X).any()
    explainer = shap.LinearExplainer(pipeline[-1], np.zeros((1, len(features))))
    shap_values = explainer.shap_values(pipeline[:-1].transform(X))
    probabilities = pipeline.predict_proba(X)[:, 1]
    for x, expected, values in zip(X, probabilities, shap_values, strict=True):
        inputs = {f: None if np.isnan(v) else float(v) for f, v in zip(features, x, strict=True)}
        score, why = scorer.score(inputs)
        assert score == pytest.approx(expected, abs=1e-12)
        assert list(why.values()) == pytest.approx(list(values), abs=1e-4)
        assert why == explain(pipeline, x, features)
    assert node.models.scorer(model_id) is scorer  # built once per artefact version


def test_decisions_carry_versions_reasons_and_leave_as_fhir(node: Node) -> None:
    model_id = _fresh_model(node)
    deploy(node, model_id)
    p = node.guarantee.predict(model_id, "tok-1", INPUTS, clinician="dr", care_context="c")
    assert p.model_version == "hypertension-5y v" + str(node.models.info(model_id).version)
    assert len(p.notice_version) == 64 and set(p.explanation) == set(INPUTS)
    with pytest.raises(GuaranteeError, match="reason 'consistent' justifies accepted"):
        node.guarantee.decide(
            p.id, "rejected", clinician="dr", reason="x", reason_code="consistent"
        )
    with pytest.raises(GuaranteeError, match="unknown reason"):
        node.guarantee.decide(p.id, "rejected", clinician="dr", reason="x", reason_code="nope")
    decided = node.guarantee.decide(p.id, "rejected", clinician="dr", reason="normal BP today",
                                    reason_code="recent-data")  # fmt: skip
    assert decided.decision_seconds is not None and decided.decision_seconds >= 0
    r4 = decisions_bundle([decided], "R4")
    types = [e["resource"]["resourceType"] for e in r4["entry"]]
    assert types == ["RiskAssessment", "Provenance", "Basic"]
    provenance = r4["entry"][1]["resource"]
    assert provenance["target"] == [{"reference": f"RiskAssessment/{p.id}"}]
    assert provenance["reason"][0]["coding"][0]["code"] == "recent-data"
    [_, assessment] = [e["resource"] for e in decisions_bundle([decided], "R5")["entry"]]
    assert assessment["resourceType"] == "ArtifactAssessment"
    assert assessment["disposition"] == "not-persuasive"


def test_drift_raises_an_alert_and_a_suspended_model_refuses_with_the_reason(node: Node) -> None:
    model_id = _fresh_model(node)
    deploy(node, model_id)
    with node.workspace.session(node.grant_id, "model_training", actor="researcher") as ws:  # type: ignore[attr-defined]
        data = build_training_set(ws)
    rows = list(range(len(data.y)))  # the whole training distribution: no drift by design
    for k in rows:
        inputs = {f: (None if np.isnan(v) else float(v))
                  for f, v in zip(data.feature_names, data.X[k], strict=True)}  # fmt: skip
        p = node.guarantee.predict(model_id, f"t{k}", inputs, clinician="dr", care_context="c")
        if k < 25:
            node.guarantee.decide(p.id, "accepted", clinician="dr", reason="ok",
                                  reason_code="consistent")  # fmt: skip
            node.guarantee.record_outcome(p.id, bool(data.y[k]), datetime.now(UTC).date(),
                                          actor="steward", role="data_steward")  # fmt: skip
    calm = node.monitoring.report(model_id, actor=COLLEGE_MEMBER, role="college_member")
    assert not [a for a in calm.alerts if a.kind == "input_drift"], calm.input_drift
    assert calm.overrides["model"] == 0.0 and calm.calibration is not None
    since = datetime.now(UTC).isoformat(timespec="milliseconds")
    for k in rows:
        inputs = {f: (None if np.isnan(v) else float(v) + (15.0 if f == "age" else 0.0))
                  for f, v in zip(data.feature_names, data.X[k], strict=True)}  # fmt: skip
        node.guarantee.predict(model_id, f"u{k}", inputs, clinician="dr", care_context="c")
    drifted = node.monitoring.report(model_id, actor=COLLEGE_MEMBER, role="college_member",
                                     since=since)  # fmt: skip
    assert ("input_drift", "age") in {(a.kind, a.subject) for a in drifted.alerts}
    html, _, review = node.college.review(model_id, node.reports, actor=COLLEGE_MEMBER, seed=1)
    assert len(review["sample"]) == 10 and "Random sample of decided cases" in html.read_text()
    node.college.decide(model_id, "suspend", actor=COLLEGE_MEMBER, reason="age drift")
    with pytest.raises(ModelSuspendedError, match=r"suspended since .* age drift"):
        node.guarantee.predict(model_id, "t", INPUTS, clinician="dr", care_context="c")
    assert all(a.status == "closed" for a in node.monitoring.alerts(model_id))


def test_a_restricted_model_predicts_only_in_the_kept_care_contexts(node: Node) -> None:
    model_id = _fresh_model(node)
    deploy(node, model_id)
    node.college.decide(model_id, "restrict", actor=COLLEGE_MEMBER, reason="pilot",
                        care_contexts=("cardiology",))  # fmt: skip
    node.guarantee.predict(model_id, "t", INPUTS, clinician="dr", care_context="cardiology")
    with pytest.raises(ModelSuspendedError, match="restricted by the college to cardiology"):
        node.guarantee.predict(model_id, "t", INPUTS, clinician="dr", care_context="gp")


def test_a_model_trained_elsewhere_is_registered_with_its_lineage(
    node: Node, tmp_path: Path
) -> None:
    from socle.ai import make_pipeline

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(200, 5)), rng.integers(0, 2, 200)
    model_id = node.models.register_external(
        make_pipeline().fit(X, y), definition_id="hypertension-5y",
        grant_id=node.grant_id, purpose="research", training_set_sha256="a" * 64,  # type: ignore[attr-defined]
        code_sha256="b" * 64, parameters={"rounds": 3}, report={}, source="federation:3 sites",
        actor="researcher", role="researcher", job="flower-run-1",
    )  # fmt: skip
    assert node.models.info(model_id).stage == "development"
    assert node.models.lineage(model_id)["source"] == "federation:3 sites"
    assert trace_model(model_id, node.audit.events())[0].kind == "model"


def test_a_federated_model_is_registered_with_its_study_sites_and_rounds_and_predicts(
    node: Node,
) -> None:
    from socle.ai import FederatedTraining, ModelError, pipeline_from_weights

    weights, means, stds = [0.8, 0.1, 0.4, 0.5, 0.3], [50.0, 0.5, 28.0, 125.0, 95.0], [15.0, 0.5, 5.0, 15.0, 20.0]  # fmt: skip
    federation = FederatedTraining("study-1", ("site-a", "site-b", "site-c"), rounds=5,
                                   per_round=({"round": 1, "answered": 3},))  # fmt: skip
    model_id = node.models.register_external(
        pipeline_from_weights(weights, -1.5, means, stds), definition_id="hypertension-5y",
        grant_id=node.grant_id, purpose="research", training_set_sha256="c" * 64,  # type: ignore[attr-defined]
        code_sha256="d" * 64, parameters={"mu": 0.0}, report={}, source="federation",
        actor="researcher", role="researcher", job="study-1/run-1", federation=federation,
        training_set={"persons": 1200, "rows": 5400, "events": 300},
    )  # fmt: skip
    lineage = node.models.lineage(model_id)
    assert lineage["federation"]["sites"] == ["site-a", "site-b", "site-c"]
    assert lineage["federation"]["rounds"] == 5 and lineage["training_set"]["persons"] == 1200
    [event] = [e for e in node.audit.events("model.register") if e.object == model_id]
    assert event.details["federation"] == {"study": "study-1", "sites": ["site-a", "site-b",
                                           "site-c"], "rounds": 5, "strategy": "FedAvg"}  # fmt: skip
    assert "study-1" in node.models.document(model_id, "card").read_text()
    deploy(node, model_id)
    p = node.guarantee.predict(model_id, "t", INPUTS, clinician="dr", care_context="c")
    z = (np.array([INPUTS[f] for f in node.models.info(model_id).features]) - means) / stds
    assert p.score == pytest.approx(1 / (1 + np.exp(-(z @ weights - 1.5))), abs=1e-12)
    with pytest.raises(ModelError, match="does not have the 5 inputs"):
        node.models.register_external(
            pipeline_from_weights(weights[:3], 0.0, means[:3], stds[:3]),
            definition_id="hypertension-5y", grant_id="g", purpose="research",
            training_set_sha256="", code_sha256="", parameters={}, report={}, source="f",
            actor="researcher", role="researcher",
        )  # fmt: skip


def test_a_federated_neural_network_is_registered_stored_as_skops_and_served_with_reasons(
    node: Node,
) -> None:
    from socle.ai import FederatedTraining, pipeline_from_network

    rng = np.random.default_rng(11)
    w1, b1, w2 = rng.normal(0, 0.5, (5, 8)), rng.normal(0, 0.1, 8), rng.normal(0, 0.8, 8)
    means, stds = [50.0, 0.5, 28.0, 125.0, 95.0], [15.0, 0.5, 5.0, 15.0, 20.0]
    model_id = node.models.register_external(
        pipeline_from_network(w1, b1, w2, -0.7, means, stds), definition_id="hypertension-5y",
        grant_id=node.grant_id, purpose="research", training_set_sha256="e" * 64,  # type: ignore[attr-defined]
        code_sha256="f" * 64, parameters={"model": "mlp"}, report={}, source="federation",
        actor="researcher", role="researcher", federation=FederatedTraining(
            "study-2", ("site-a", "site-b"), rounds=3, per_round=({"round": 1, "answered": 2},)),
    )  # fmt: skip
    folder = node.models.models_dir / model_id
    assert (folder / "model.skops").is_file() and not list(folder.glob("*.pkl"))
    assert node.models.lineage(model_id)["federation"]["study"] == "study-2"
    deploy(node, model_id)
    p = node.guarantee.predict(model_id, "t", INPUTS, clinician="dr", care_context="c")
    features = node.models.info(model_id).features
    z = (np.array([INPUTS[f] for f in features]) - means) / stds
    logit = np.tanh(z @ w1 + b1) @ w2 - 0.7
    assert p.score == pytest.approx(1 / (1 + np.exp(-logit)), abs=1e-12)
    # The reasons add up to the patient's log-odds minus the mean patient's (z = 0).
    mean_logit = np.tanh(b1) @ w2 - 0.7
    assert sum(p.explanation.values()) == pytest.approx(logit - mean_logit, abs=2e-3)
    pipeline = node.models.load(model_id)  # the stored artefact predicts the same
    assert pipeline.predict_proba(np.array([[INPUTS[f] for f in features]]))[0, 1] == (
        pytest.approx(p.score, abs=1e-12)
    )


def test_network_weights_that_do_not_fit_together_are_refused() -> None:
    from socle.ai import ModelError, pipeline_from_network

    w1, means, stds = np.zeros((5, 8)), [0.0] * 5, [1.0] * 5
    for hidden_bias, output in (([0.0] * 7, [0.0] * 8), ([0.0] * 8, [0.0] * 7)):
        with pytest.raises(ModelError, match="one row per input"):
            pipeline_from_network(w1, hidden_bias, output, 0.0, means, stds)
    with pytest.raises(ModelError, match="one row per input"):
        pipeline_from_network(np.zeros(5), [0.0], [0.0], 0.0, means, stds)


def test_every_shipped_definition_compiles_through_the_checkpoint(node: Node) -> None:
    """The seed use cases are definitions, not code: each builds through the grant's views."""
    from socle.ai import load_definitions

    visits = (("visit_occurrence", "visit_concept_id"), ("visit_occurrence", "visit_start_date"),
              ("visit_occurrence", "visit_end_date"))  # fmt: skip
    grant = approved_grant(node, variables=VARIABLES + visits, output_types=("model_training",))
    for d in load_definitions().values():
        with node.workspace.session(grant, "model_training", actor="researcher") as ws:
            data = build_training_set(ws, d)
        assert data.X.shape[1] == len(d.feature_names), d.id
        if d.status == "demo":
            assert int(data.y.sum()) >= 10, f"{d.id} must train on the demo sample"


def test_the_observatory_publishes_open_drift_alerts_as_a_count_only(node: Node) -> None:
    from socle.observatory.live import model_ref

    model_id = _fresh_model(node)
    deploy(node, model_id)
    with node.workspace.session(node.grant_id, "model_training", actor="researcher") as ws:  # type: ignore[attr-defined]
        data = build_training_set(ws)
    for k in range(len(data.y)):
        inputs = {f: (None if np.isnan(v) else float(v) + (15.0 if f == "age" else 0.0))
                  for f, v in zip(data.feature_names, data.X[k], strict=True)}  # fmt: skip
        node.guarantee.predict(model_id, f"d{k}", inputs, clinician="dr", care_context="c")
    report = node.monitoring.report(model_id, actor=COLLEGE_MEMBER, role="college_member")
    drift = [a for a in report.alerts if a.kind in ("input_drift", "prediction_drift")]
    assert drift
    live = node.observatory.live
    live.sync_models()
    live.refresh()
    entry = node.observatory.registry.by_ref(model_ref(model_id))
    assert entry is not None
    [figures] = live.figures([entry.id]).values()
    assert figures.drift_alerts == len(drift) and figures.suspended is False
    published = figures.model_dump_json()
    assert "age" not in published and "PSI" not in published  # no feature, value or message

    node.college.decide(model_id, "suspend", actor=COLLEGE_MEMBER, reason="age drift")
    live.refresh()
    [after] = live.figures([entry.id]).values()
    assert after.drift_alerts == 0 and after.suspended is True  # reviewed: the alerts closed
    assert [h.drift_alerts for h in live.history(entry.id)][-2:] == [len(drift), 0]


def test_drift_alerts_of_a_model_with_few_predictions_stay_unknown() -> None:
    from socle.observatory.live import checked_figures

    few = checked_figures("2026-01-01", 9, 0, 9, 0, 10, 5, drift_alerts=1, suspended=False)
    assert few.drift_alerts is None and few.predictions is None
    many = checked_figures("2026-01-01", 60, 0, 60, 0, 10, 5, drift_alerts=2)
    assert many.drift_alerts == 2
