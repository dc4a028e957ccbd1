"""FHIR R4 Consent in and out: matched through the vault, all or nothing, errors name the record."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from socle.config import Settings
from socle.consent import (
    PURPOSE_SYSTEM,
    ConsentService,
    FutureDateError,
    MalformedConsentError,
    UnknownPatientError,
)
from socle.demo import source_patient_ids
from socle.node import Node
from tests.helpers import today


def consent(
    source_id: str, choice: str, *purposes: str, start: str | None = None, **extra: Any
) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Consent",
        "id": f"c-{choice}",
        "status": "active",
        "scope": {"coding": [{"code": "research"}]},
        "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
        "patient": {"reference": f"Patient/{source_id}"},
        "dateTime": (start or (today() - timedelta(days=2)).isoformat()) + "T10:00:00Z",
        "provision": {
            "type": choice,
            "purpose": [{"system": PURPOSE_SYSTEM, "code": p} for p in purposes],
        },
    }
    resource.update(extra)
    return resource


def bundle(*resources: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": r} for r in resources],
    }


def write(path: Path, document: object) -> Path:
    path.write_bytes(document if isinstance(document, bytes) else orjson.dumps(document))
    return path


def included(service: ConsentService, source_id: str) -> dict[str, bool]:
    return {c.purpose: c.included for c in service.choices(source_id)}


def test_bundle_of_consents_sets_state_through_the_vault(
    loaded: Node, small_sample: Path, tmp_path: Path
) -> None:
    service = loaded.consents
    a, b, _ = source_patient_ids(small_sample)
    doc = bundle(
        consent(a, "deny", "research", "ai_training"),
        consent(b, "permit", "industrial_research"),
    )
    summary = service.import_fhir(write(tmp_path / "c.json", doc), actor="steward")
    assert (summary.consents, summary.events, summary.persons) == (2, 3, 2)
    assert included(service, a)["research"] is False
    assert included(service, a)["ai_training"] is False
    assert included(service, b)["industrial_research"] is True
    assert {e.channel for e in service.history(a)} == {"fhir_import"}
    assert [e.kind for e in service.history(b)] == ["opt_in"]


def test_ndjson_and_urn_uuid_references_are_read(
    loaded: Node, small_sample: Path, tmp_path: Path
) -> None:
    service = loaded.consents
    a, *_ = source_patient_ids(small_sample)
    first = consent(a, "deny", "research", start=(today() - timedelta(days=5)).isoformat())
    second = consent(a, "permit", "research", patient={"reference": f"urn:uuid:{a}"})
    path = tmp_path / "c.ndjson"
    path.write_bytes(orjson.dumps(first) + b"\n" + orjson.dumps(second) + b"\n")
    service.import_fhir(path, actor="steward")
    assert [e.kind for e in service.history(a)] == ["objection", "withdraw_objection"]
    assert included(service, a)["research"] is True


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"resourceType": "Patient"}, "not a FHIR Consent"),
        ({"status": "draft"}, "status"),
        ({"patient": {}}, "patient.reference is missing"),
        ({"patient": {"reference": "Group/x"}}, "Patient/<source id>"),
        ({"provision": {"type": "maybe"}}, "provision.type"),
        ({"provision": {"type": "deny", "purpose": []}}, "names no purpose"),
        (
            {
                "provision": {
                    "type": "deny",
                    "purpose": [{"system": PURPOSE_SYSTEM, "code": "astrology"}],
                }
            },
            "unknown purpose 'astrology'",
        ),
        ({"provision": {"type": "deny", "purpose": [{"code": "research"}]}}, "system"),
        ({"dateTime": "yesterday"}, "dateTime"),
        ({"dateTime": "2024-13-45"}, "not a valid date"),
    ],
)
def test_malformed_consent_names_the_entry_and_records_nothing(
    loaded: Node, small_sample: Path, tmp_path: Path, change: dict[str, Any], needle: str
) -> None:
    service = loaded.consents
    a, b, _ = source_patient_ids(small_sample)
    bad = consent(b, "deny", "research", **change)
    doc = bundle(consent(a, "deny", "research"), bad)
    with pytest.raises(MalformedConsentError, match=needle) as info:
        service.import_fhir(write(tmp_path / "c.json", doc), actor="steward")
    assert "c.json entry 1" in info.value.message
    assert service.history(a) == [] and service.history(b) == []


def test_unknown_patient_and_future_dates_record_nothing(
    loaded: Node, small_sample: Path, tmp_path: Path
) -> None:
    service = loaded.consents
    a, *_ = source_patient_ids(small_sample)
    doc = bundle(consent(a, "deny", "research"), consent("no-such-patient", "deny", "research"))
    with pytest.raises(UnknownPatientError, match="entry 1") as info:
        service.import_fhir(write(tmp_path / "c.json", doc), actor="steward")
    assert "no-such-patient" not in info.value.message
    future = consent(a, "deny", "research", start=(today() + timedelta(days=3)).isoformat())
    with pytest.raises(FutureDateError, match="future"):
        service.import_fhir(write(tmp_path / "f.json", bundle(future)), actor="steward")
    with pytest.raises(MalformedConsentError, match="not valid JSON"):
        service.import_fhir(write(tmp_path / "x.json", b"{"), actor="steward")
    assert service.history(a) == []


def test_export_then_import_on_another_node_gives_the_same_choices(
    loaded: Node, small_sample: Path, tmp_path: Path
) -> None:
    service = loaded.consents
    a, *_ = source_patient_ids(small_sample)
    service.record_choice(a, ["research"], "objection", channel="portal", actor="a", role="patient",
                          effective=today() - timedelta(days=4))  # fmt: skip
    service.record_choice(a, ["industrial_research"], "opt_in", channel="paper_form", actor="s",
                          role="data_steward")  # fmt: skip
    exported = service.export_fhir(a)
    assert [e["resource"]["provision"]["type"] for e in exported["entry"]] == ["deny", "permit"]
    assert all(e["resource"]["patient"]["reference"] == f"Patient/{a}" for e in exported["entry"])

    other = Node.open(Settings(home=tmp_path / "other"))
    try:
        other.load(small_sample, actor="test")
        other_service = other.consents
        other_service.import_fhir(write(tmp_path / "e.json", exported), actor="steward")
        assert included(other_service, a) == included(service, a)
        assert other.person_id(a) != loaded.person_id(a)  # each node keys its own pseudonyms
    finally:
        other.close()
