"""Human guarantee: every prediction is pending until a clinician decides, with a reason."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from socle.ai import FEATURES, build_training_set
from socle.ai.training import train_and_evaluate
from socle.guarantee import GuaranteeError
from socle.node import Node
from tests.conftest import loaded_home
from tests.helpers import TRAINING_VARIABLES as VARIABLES
from tests.helpers import approved_grant, deploy

INPUTS = {"age": 52.0, "male": 1.0, "bmi": 31.0, "systolic_bp": 138.0, "glucose": None}


@pytest.fixture(scope="module")
def model_node(tmp_path_factory: pytest.TempPathFactory) -> Node:
    from socle.config import Settings

    node = Node.open(Settings(home=loaded_home(tmp_path_factory)))
    grant = approved_grant(node, variables=VARIABLES, output_types=("model_training",))
    node.model_id = node.models.train(node.workspace, grant, actor="researcher").id  # type: ignore[attr-defined]
    deploy(node, node.model_id)  # type: ignore[attr-defined]
    node.grant_id = grant  # type: ignore[attr-defined]
    return node


def test_training_never_gets_a_one_class_split_whatever_the_pseudonyms(
    model_node: Node, tmp_path: Path
) -> None:
    """Person ids are keyed pseudonyms, random per deployment, and consent removes persons:
    the person-level split must hold events on both sides for any of them."""
    grant_id = model_node.grant_id  # type: ignore[attr-defined]
    with model_node.workspace.session(grant_id, "model_training", actor="researcher") as ws:
        data = build_training_set(ws)
    rng = np.random.default_rng(0)
    for _ in range(25):
        persons = np.unique(data.groups)
        kept = persons[rng.random(len(persons)) > 0.15]  # some persons objected
        rows = np.isin(data.groups, kept)
        relabel = {int(p): int(rng.integers(1, 2**62)) for p in kept}
        sample = replace(
            data, X=data.X[rows], y=data.y[rows],
            groups=np.array([relabel[int(g)] for g in data.groups[rows]]),
        )  # fmt: skip
        if len(set(sample.groups[sample.y == 1].tolist())) < 3:
            continue
        if int(sample.y.sum()) < 10:
            continue
        _, ev = train_and_evaluate(sample, tmp_path / "calibration.png")
        assert ev.train_persons is not None and ev.cv_auroc is not None
        assert 0.0 <= ev.cv_auroc <= 1.0


def test_prediction_is_pending_until_decided(model_node: Node) -> None:
    p = model_node.guarantee.predict(
        model_node.model_id,  # type: ignore[attr-defined]
        "person-1",
        INPUTS,
        clinician="dr",
        care_context="c",
    )
    assert p.status == "pending"
    assert set(p.explanation) == set(FEATURES)
    before = model_node.guarantee.status_report()["pending"]
    decided = model_node.guarantee.decide(
        p.id, "rejected", clinician="dr", reason="recent normal BP"
    )
    assert decided.status == "rejected" and decided.decision_reason == "recent normal BP"
    assert model_node.guarantee.status_report()["pending"] == before - 1


def test_decision_needs_a_reason_and_happens_once(model_node: Node) -> None:
    p = model_node.guarantee.predict(
        model_node.model_id,  # type: ignore[attr-defined]
        "person-2",
        INPUTS,
        clinician="dr",
        care_context="c",
    )
    with pytest.raises(GuaranteeError, match="reason"):
        model_node.guarantee.decide(p.id, "accepted", clinician="dr", reason=" ")
    with pytest.raises(GuaranteeError, match="amended value"):
        model_node.guarantee.decide(p.id, "amended", clinician="dr", reason="x")
    model_node.guarantee.decide(p.id, "amended", clinician="dr", reason="x", amended_score=0.3)
    with pytest.raises(GuaranteeError, match="already amended"):
        model_node.guarantee.decide(p.id, "accepted", clinician="dr", reason="x")


def test_model_metrics_and_notice_are_recorded(model_node: Node) -> None:
    metrics = model_node.models.metrics(model_node.model_id)  # type: ignore[attr-defined]
    assert 0.0 <= metrics["cv_auroc"] <= 1.0
    assert metrics["train_persons"] >= 10 and metrics["persons"] >= metrics["train_persons"]
    events = [e for e in model_node.audit.events("model.train")]
    assert events and events[0].details["persons"] == metrics["persons"]


def test_a_clinicians_work_list_is_the_pending_predictions_of_their_care_contexts(
    model_node: Node,
) -> None:
    model_id = model_node.model_id  # type: ignore[attr-defined]
    made = [
        model_node.guarantee.predict(model_id, f"person-w{i}", INPUTS, clinician="dr",
                                     care_context=context)
        for i, context in enumerate(("ward-a", "ward-a", "ward-b"))
    ]  # fmt: skip
    model_node.guarantee.decide(made[0].id, "accepted", clinician="dr", reason="fits the chart")
    assert [p.id for p in model_node.guarantee.pending(["ward-a"])] == [made[1].id]
    both = {p.id for p in model_node.guarantee.pending(["ward-a", "ward-b"])}
    assert both == {made[1].id, made[2].id}
    assert model_node.guarantee.pending([]) == []
    assert len(model_node.guarantee.pending(["ward-a", "ward-b"], limit=1)) == 1
