"""Small hand-written FHIR R4 resources for ingest tests that need a precise defect."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson


def patient(pid: str = "p1", birth: str = "1980-05-17") -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "id": pid,
        "gender": "female",
        "birthDate": birth,
        "name": [{"family": "Doe", "given": ["Jane"]}],
    }


def condition(
    cid: str = "c1", pid: str = "p1", code: str = "44054006", display: str = "Diabetes"
) -> dict[str, Any]:
    return {
        "resourceType": "Condition",
        "id": cid,
        "subject": {"reference": f"Patient/{pid}"},
        "code": {
            "coding": [{"system": "http://snomed.info/sct", "code": code, "display": display}]
        },
        "onsetDateTime": "2015-03-02T10:00:00+01:00",
    }


def encounter(
    eid: str = "e1", pid: str = "p1", start: str = "2015-03-02T09:00:00Z"
) -> dict[str, Any]:
    return {
        "resourceType": "Encounter",
        "id": eid,
        "class": {"code": "AMB"},
        "subject": {"reference": f"Patient/{pid}"},
        "period": {"start": start, "end": start},
    }


def bundle(*resources: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": r} for r in resources],
    }


def write_bundle(path: Path, *resources: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(orjson.dumps(bundle(*resources)))
    return path


def document(
    did: str = "d1",
    pid: str = "p1",
    text: str | bytes = "Jane Doe is a 35 year-old woman.",
    content_type: str = "text/plain; charset=utf-8",
    date: str = "2015-03-02T09:00:00Z",
) -> dict[str, Any]:
    """A DocumentReference whose one attachment holds ``text`` in base64."""
    import base64

    raw = text.encode() if isinstance(text, str) else text
    return {
        "resourceType": "DocumentReference",
        "id": did,
        "status": "current",
        "subject": {"reference": f"Patient/{pid}"},
        "date": date,
        "type": {"coding": [{"system": "http://loinc.org", "code": "34117-2"}]},
        "content": [
            {"attachment": {"contentType": content_type, "data": base64.b64encode(raw).decode()}}
        ],
    }
