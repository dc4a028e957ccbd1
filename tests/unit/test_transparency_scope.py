"""``/consent/me/uses`` lists exactly the projects whose scope included the patient: the
grant's population restriction and every purpose the use needed (AI training for a model).

The attack: a patient was told a project used their data although the grant's population
(here: an age range) excluded them.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from socle.demo import source_patient_ids
from socle.governance import Population
from socle.node import Node
from tests.helpers import approved_grant, today


def _age(node: Node, source_id: str) -> int:
    """Age in whole years on today's grant start, counted as the population rule counts it."""
    (year,) = node.warehouse.aggregate(
        "SELECT year_of_birth FROM person WHERE person_id = ?", [node.person_id(source_id)]
    )[0]
    return today().year - int(year)


def test_a_patient_outside_the_grant_population_is_not_told_it_used_their_data(
    loaded: Node, small_sample: Path
) -> None:
    service = loaded.consents
    patients = source_patient_ids(small_sample)
    ages = {p: _age(loaded, p) for p in patients}
    inside = min(patients, key=ages.__getitem__)
    outside = max(patients, key=ages.__getitem__)
    assert ages[inside] < ages[outside], "the sample holds patients of different ages"
    grant = approved_grant(
        loaded, population=Population(min_age=ages[inside], max_age=ages[inside])
    )
    with loaded.workspace.session(grant, "aggregates", actor="researcher") as ws:
        read = set(ws.query("SELECT person_id FROM scoped_person").column(0).to_pylist())
    assert loaded.person_id(inside) in read and loaded.person_id(outside) not in read
    assert [u.grant_id for u in service.projects(inside)] == [grant]
    assert service.projects(outside) == []
    # Both object after a release: only the one the population covered is in the impact report.
    loaded.workspace.condition_counts(grant, "SNOMED|73595000", ("sex",), actor="researcher")
    for patient in (inside, outside):
        service.record_choice(patient, ["research"], "objection", channel="portal", actor="p",
                              role="patient")  # fmt: skip
    [impacted] = service.impact_report(actor="steward")
    assert (impacted.grant_id, impacted.persons) == (grant, 1)


def test_an_objector_to_ai_training_is_not_told_a_model_used_their_data(
    loaded: Node, small_sample: Path
) -> None:
    service = loaded.consents
    objector, other, _ = source_patient_ids(small_sample)
    service.record_choice(objector, ["ai_training"], "objection", channel="portal", actor="p",
                          role="patient", effective=today() - timedelta(days=1))  # fmt: skip
    grant = approved_grant(loaded, output_types=("model_training",))
    with loaded.workspace.session(grant, "model_training", actor="researcher") as ws:
        read = set(ws.query("SELECT person_id FROM scoped_person").column(0).to_pylist())
    assert loaded.person_id(objector) not in read
    assert service.projects(objector) == []
    assert [u.output_types for u in service.projects(other)] == [("model_training",)]
