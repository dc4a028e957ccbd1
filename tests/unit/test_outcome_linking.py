"""Outcomes of predictions in care, linked from a later load: computed inside the warehouse from
the model's definition, recorded by the system once, never for an objector, used by monitoring."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from socle.config import Settings
from socle.consent import ConsentEvent
from socle.guarantee import OUTCOME_PURPOSE, Monitoring, load_monitoring_policy
from socle.node import Node
from socle.roles import Role
from tests.cli import socle
from tests.conftest import loaded_home
from tests.fhirdata import encounter, write_bundle
from tests.helpers import COLLEGE_MEMBER, approved_grant, deploy, today
from tests.helpers import TRAINING_VARIABLES as VARIABLES

INPUTS = {"age": 52.0, "male": 1.0, "bmi": 31.0, "systolic_bp": 138.0, "glucose": 101.0}
HYPERTENSION = "59621000"  # SNOMED: the outcome of the hypertension-5y definition


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    n = Node.open(Settings(home=loaded_home(tmp_path_factory)))  # the 50 sample patients
    grant = approved_grant(n, variables=VARIABLES, output_types=("model_training",))
    n.model_id = n.models.train(n.workspace, grant, actor="researcher").id  # type: ignore[attr-defined]
    deploy(n, n.model_id)  # type: ignore[attr-defined]
    yield n
    n.close()


def _persons(node: Node) -> tuple[list[tuple[str, str, int]], list[tuple[str, str, int]]]:
    """(token, source id, person id) of persons without, and with, a hypertension record."""
    tokens = node.vault.source_ids()
    rows = node.warehouse.aggregate(
        "SELECT person_source_value, person_id, person_id IN (SELECT person_id FROM "
        "condition_occurrence WHERE condition_source_value = ?) FROM person "
        "ORDER BY person_source_value",
        [f"SNOMED|{HYPERTENSION}"],
    )
    found = [(str(t), tokens[str(t)], int(p), bool(h)) for t, p, h in rows]
    return [f[:3] for f in found if not f[3]], [f[:3] for f in found if f[3]]


def _condition(cid: str, pid: str, day: str) -> dict[str, object]:
    return {
        "resourceType": "Condition", "id": cid, "subject": {"reference": f"Patient/{pid}"},
        "code": {"coding": [{"system": "http://snomed.info/sct", "code": HYPERTENSION,
                             "display": "Essential hypertension"}]},
        "onsetDateTime": f"{day}T12:00:00Z",
    }  # fmt: skip


def test_a_later_load_links_outcomes_once_from_the_models_definition(
    node: Node, tmp_path: Path
) -> None:
    model_id = node.model_id  # type: ignore[attr-defined]
    free, hypertensive = _persons(node)
    (a, b, c, objector), prior = free[:4], hypertensive[0]
    predictions = {
        name: node.guarantee.predict(model_id, token, INPUTS, clinician="dr", care_context="c").id
        for name, token in [("a", a[0]), ("b", b[0]), ("c", c[0]), ("objector", objector[0]),
                            ("prior", prior[0]), ("stranger", "0" * 32)]
    }  # fmt: skip
    node.consent.record(
        [ConsentEvent(objector[2], OUTCOME_PURPOSE, "objection", today(), "portal", "patient")],
        actor="patient-portal", role=Role.PATIENT,
    )  # fmt: skip
    day = today()
    later = write_bundle(
        tmp_path / "later" / "follow-up.json",
        _condition("later-a", a[1], (day + timedelta(days=200)).isoformat()),  # within 5 years
        encounter("later-b", b[1], f"{day + timedelta(days=1900)}T09:00:00Z"),  # followed, none
        _condition("later-o", objector[1], (day + timedelta(days=100)).isoformat()),
    )
    before = len(list(node.audit.events("prediction.outcome")))

    node.load(later.parent, actor="steward")  # the composition root links after every load

    events = list(node.audit.events("prediction.outcome"))[before:]
    assert sorted(e.object for e in events) == sorted([predictions["a"], predictions["b"]])
    assert {(e.actor, e.role) for e in events} == {("socle", "system")}
    assert {e.details["source"] for e in events} == {"warehouse: hypertension-5y"}
    [run] = list(node.audit.events("guarantee.link_outcomes"))[-1:]
    assert run.details == {
        "examined": 6, "recorded": 2, "occurred": 1, "not_occurred": 1, "awaiting": 1,
        "prior": 1, "unmatched": 2,  # the unknown token and the objector, alike
    }  # fmt: skip
    assert run.purpose == OUTCOME_PURPOSE and run.object != ""
    tokens = {a[0], b[0], c[0], objector[0], prior[0]}
    assert not [t for t in tokens if t in str(run.details)]
    observed = node.guarantee.outcome_of(predictions["a"])
    assert observed == (True, day + timedelta(days=200))  # the person's date shift undone
    assert node.guarantee.outcome_of(predictions["b"]) == (False, day + timedelta(days=1826))
    for name in ("c", "objector", "prior", "stranger"):
        assert node.guarantee.outcome_of(predictions[name]) is None, name

    node.load(later.parent, actor="steward")  # the same load again: nothing recorded twice
    assert len(list(node.audit.events("prediction.outcome"))) == before + 2
    assert list(node.audit.events("guarantee.link_outcomes"))[-1].details["recorded"] == 0

    policy = load_monitoring_policy()
    policy["calibration"] = {**policy["calibration"], "min_outcomes": 2}
    report = Monitoring(node.engine, node.audit, node.models, policy).report(
        model_id, actor=COLLEGE_MEMBER, role="college_member"
    )
    assert report.calibration is not None and report.calibration["outcomes"] == 2
    assert report.calibration["observed"] == 0.5


def test_linking_reads_nothing_when_no_prediction_awaits_an_outcome(tmp_path: Path) -> None:
    run = socle("guarantee", "link-outcomes", home=tmp_path)
    assert run.returncode == 0 and "0 predictions awaiting an outcome: 0 linked" in run.stdout
    n = Node.open(Settings(home=tmp_path))
    try:
        assert n.outcomes.link().examined == 0
        assert not list(n.audit.events("guarantee.link_outcomes"))
    finally:
        n.close()
