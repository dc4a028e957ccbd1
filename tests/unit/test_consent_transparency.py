"""Transparency: a patient sees their choices, history and the projects that used their data;
the committee sees outputs already released for patients who objected since."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from socle.consent import UnknownPatientError
from socle.demo import source_patient_ids
from socle.node import Node
from tests.helpers import approved_grant, today

CONDITION_COLUMNS = (
    ("person", "year_of_birth"),
    ("person", "gender_concept_id"),
    ("condition_occurrence", "condition_source_value"),
)


def _release(node: Node, grant_id: str) -> str:
    (code,) = node.warehouse.aggregate(
        "SELECT condition_source_value FROM condition_occurrence LIMIT 1"
    )[0]
    return node.workspace.condition_counts(grant_id, str(code), ["sex"], actor="researcher").id


def test_patient_sees_choices_history_and_projects(loaded: Node, small_sample: Path) -> None:
    service = loaded.consents
    early, late, never = source_patient_ids(small_sample)
    service.record_choice(early, ["research"], "objection", channel="portal", actor="patient",
                          role="patient", effective=today() - timedelta(days=2))  # fmt: skip
    grant_id = approved_grant(loaded)
    release_id = _release(loaded, grant_id)
    service.record_choice(late, ["research"], "objection", channel="paper_form", actor="clerk",
                          role="data_steward")  # fmt: skip

    (used,) = service.projects(late)  # used before the objection was recorded
    assert (used.grant_id, used.title, used.sponsor, used.purpose) == (
        grant_id, "Test project", "Test sponsor", "research",
    )  # fmt: skip
    assert used.first_used == used.last_used == today()
    assert used.output_types == ("aggregates",)
    assert service.projects(early) == []  # objected before: never read
    assert [p.grant_id for p in service.projects(never)] == [grant_id]

    choices = {c.purpose: c for c in service.choices(late)}
    assert not choices["research"].included
    assert (choices["research"].since, choices["research"].channel) == (today(), "paper_form")
    assert choices["ai_training"].included and choices["ai_training"].since is None
    assert not choices["industrial_research"].included  # opt-in by default excluded
    assert [e.kind for e in service.history(late)] == ["objection"]

    (impacted,) = service.impact_report(actor="steward")
    assert (impacted.grant_id, impacted.title, impacted.persons) == (grant_id, "Test project", 1)
    assert [(o.id, o.output_type, o.excluded_since) for o in impacted.outputs] == [
        (release_id, "aggregates", 1)
    ]
    (audit,) = loaded.audit.events("consent.impact_report")
    assert audit.details == {"projects": 1, "outputs": 1}


def test_read_without_release_is_shown_to_patient_but_impacts_nothing(
    loaded: Node, small_sample: Path
) -> None:
    service = loaded.consents
    a, *_ = source_patient_ids(small_sample)
    grant_id = approved_grant(loaded)
    with loaded.workspace.session(grant_id, "aggregates", actor="researcher"):
        pass  # a read, but no output released
    service.record_choice(a, ["research"], "objection", channel="portal", actor="a", role="patient")
    assert [p.output_types for p in service.projects(a)] == [("aggregates",)]
    assert service.impact_report(actor="steward") == []


def test_patient_is_identified_through_the_vault_only(loaded: Node) -> None:
    service = loaded.consents
    (person,) = loaded.warehouse.aggregate("SELECT person_id FROM person LIMIT 1")[0]
    for call in (service.choices, service.history, service.projects, service.export_fhir):
        with pytest.raises(UnknownPatientError, match="identity vault"):
            call(str(person))  # a raw person_id is not a source id
