"""Clinicians' decisions on AI outputs as FHIR, so the hospital's record keeps them.

R4 (what most hospitals speak): per decided prediction, a ``RiskAssessment``
(the AI output: model as performer, score, notice version), a ``Provenance``
whose target is that assessment (agents: the clinician as verifier, the model
as assembler; the reason coded from the published taxonomy) and a ``Basic``
resource carrying the decision, amended value and time to decision.
R5: an ``ArtifactAssessment`` of the ``RiskAssessment`` (as HL7's AI
transparency work uses for human validation of AI outputs), its disposition
mapping accepted / amended / rejected. Patients appear by pseudonym only.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, Literal

from socle.guarantee.reasons import reason_taxonomy
from socle.guarantee.service import Prediction

SOCLE = "https://socle.health/fhir"
DISPOSITION = {"accepted": "persuasive", "amended": "persuasive-with-modification",
               "rejected": "not-persuasive"}  # fmt: skip


def _risk(p: Prediction) -> dict[str, Any]:
    return {
        "resourceType": "RiskAssessment", "id": p.id, "status": "final",
        "subject": {"identifier": {"system": f"{SOCLE}/pseudonym", "value": p.patient}},
        "occurrenceDateTime": p.created_at,
        "method": {"text": f"{p.model_id} ({p.model_version})"},
        "performer": {"display": f"AI model {p.model_id} {p.model_version}"},
        "prediction": [{"probabilityDecimal": round(p.score, 4)}],
        "note": [{"text": f"notice version {p.notice_version}"}],
    }  # fmt: skip


def _reason(p: Prediction) -> dict[str, Any]:
    taxonomy = reason_taxonomy()
    code = p.reason_code or "other"
    display = next((r.en for r in taxonomy.reasons if r.code == code), code)
    return {"coding": [{"system": taxonomy.system, "code": code, "display": display}],
            "text": p.decision_reason or ""}  # fmt: skip


def _r4(p: Prediction) -> list[dict[str, Any]]:
    ref = {"reference": f"RiskAssessment/{p.id}"}
    clinician = {"identifier": {"system": f"{SOCLE}/user", "value": p.decided_by}}
    provenance = {
        "resourceType": "Provenance", "id": f"prov-{p.id}", "target": [ref],
        "recorded": p.decided_at,
        "activity": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-DataOperation",
                                 "code": "UPDATE" if p.status == "amended" else "APPEND"}],
                     "text": f"clinician {p.status} the AI output"},
        "reason": [_reason(p)],
        "agent": [
            {"type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/provenance-participant-type",
                                  "code": "verifier"}]}, "who": clinician},
            {"type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/provenance-participant-type",
                                  "code": "assembler"}]},
             "who": {"display": f"AI model {p.model_id} {p.model_version}"}},
        ],
    }  # fmt: skip
    extensions = [
        {"url": f"{SOCLE}/StructureDefinition/ai-decision", "valueCode": p.status},
        {"url": f"{SOCLE}/StructureDefinition/ai-decision-seconds",
         "valueDecimal": p.decision_seconds},
    ]  # fmt: skip
    if p.amended_score is not None:
        extensions.append({"url": f"{SOCLE}/StructureDefinition/ai-amended-score",
                           "valueDecimal": p.amended_score})  # fmt: skip
    basic = {
        "resourceType": "Basic", "id": f"decision-{p.id}",
        "code": {"coding": [{"system": f"{SOCLE}/CodeSystem/resource", "code": "ai-output-assessment"}]},
        "subject": ref, "created": (p.decided_at or "")[:10], "author": clinician,
        "extension": extensions,
    }  # fmt: skip
    return [_risk(p), provenance, basic]


def _r5(p: Prediction) -> list[dict[str, Any]]:
    assessment = {
        "resourceType": "ArtifactAssessment", "id": f"assessment-{p.id}",
        "date": p.decided_at, "artifactReference": {"reference": f"RiskAssessment/{p.id}"},
        "workflowStatus": "applied", "disposition": DISPOSITION[p.status],
        "content": [{
            "informationType": "comment", "summary": p.decision_reason or "",
            "classifier": [_reason(p)],
            "author": {"identifier": {"system": f"{SOCLE}/user", "value": p.decided_by}},
            **({"quantity": {"value": p.amended_score, "unit": "probability"}}
               if p.amended_score is not None else {}),
        }],
    }  # fmt: skip
    return [_risk(p), assessment]


def decisions_bundle(
    predictions: Iterable[Prediction], version: Literal["R4", "R5"] = "R4"
) -> dict[str, Any]:
    """A FHIR ``collection`` Bundle of every decided prediction (pending ones are left out)."""
    build = _r4 if version == "R4" else _r5
    entries = [
        {"fullUrl": f"urn:uuid:{r['resourceType']}-{r['id']}", "resource": r}
        for p in predictions if p.status != "pending" for r in build(p)
    ]  # fmt: skip
    return {
        "resourceType": "Bundle", "type": "collection",
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "meta": {"tag": [{"system": f"{SOCLE}/fhir-version", "code": version}]},
        "entry": entries,
    }  # fmt: skip
