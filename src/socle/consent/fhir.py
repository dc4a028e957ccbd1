"""FHIR R4 ``Consent`` resources in and out of the registry.

Import: each Consent becomes one event per purpose in ``provision.purpose``.
``provision.type`` *deny* excludes the purpose, *permit* includes it; the
event kind follows the purpose's rule (opt-out: objection / withdrawal of an
objection; opt-in: withdrawal of an opt-in / opt-in). The effective date is
``provision.period.start``, else ``dateTime``. The patient is
``patient.reference`` = ``Patient/<source id>`` (or ``urn:uuid:<source id>``,
as in Synthea bundles); the source id is matched to a pseudonym through the
identity vault by the caller and never stored.

Export: one Consent per event, with the patient reference the caller gives.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from socle.consent.errors import MalformedConsentError
from socle.consent.purposes import Taxonomy
from socle.consent.registry import INCLUDES, ConsentEvent

PURPOSE_SYSTEM = "https://socle.health/fhir/CodeSystem/consent-purpose"
SCOPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/consentscope"
CATEGORY = {"system": "http://loinc.org", "code": "59284-0", "display": "Patient Consent"}
STATUSES = ("active", "inactive")


@dataclass(frozen=True)
class ParsedConsent:
    """A Consent read from FHIR: the patient's source id and the choices it carries."""

    label: str
    source_patient_id: str
    provision: str  # "permit" | "deny"
    purposes: tuple[str, ...]
    effective: date


def _fail(label: str, reason: str) -> MalformedConsentError:
    return MalformedConsentError(f"{label}: {reason}")


def _date(value: Any, label: str, field: str) -> date:
    if not isinstance(value, str) or len(value) < 10:
        raise _fail(label, f"{field} must be a FHIR date or dateTime (YYYY-MM-DD...)")
    try:
        return date.fromisoformat(value[:10])
    except ValueError as exc:
        raise _fail(label, f"{field} '{value[:10]}' is not a valid date") from exc


def _patient_source_id(resource: dict[str, Any], label: str) -> str:
    patient = resource.get("patient")
    ref = patient.get("reference") if isinstance(patient, dict) else None
    if not isinstance(ref, str) or not ref:
        raise _fail(label, "patient.reference is missing; use Patient/<source id>")
    for prefix in ("Patient/", "urn:uuid:"):
        if ref.startswith(prefix) and len(ref) > len(prefix):
            return ref[len(prefix) :]
    raise _fail(label, "patient.reference must be Patient/<source id> or urn:uuid:<source id>")


def parse_consent(resource: Any, label: str, taxonomy: Taxonomy) -> ParsedConsent:
    """Read one Consent resource; raise :class:`MalformedConsentError` naming ``label``."""
    if not isinstance(resource, dict) or resource.get("resourceType") != "Consent":
        raise _fail(label, "not a FHIR Consent resource (resourceType must be 'Consent')")
    if resource.get("id"):
        label = f"{label} (Consent/{resource['id']})"
    if resource.get("status") not in STATUSES:
        raise _fail(label, f"status must be one of {', '.join(STATUSES)} to record a choice")
    source_id = _patient_source_id(resource, label)
    provision = resource.get("provision")
    if not isinstance(provision, dict) or provision.get("type") not in ("permit", "deny"):
        raise _fail(label, "provision.type must be 'permit' or 'deny'")
    purposes = []
    for coding in provision.get("purpose") or ():
        if not isinstance(coding, dict) or coding.get("system") != PURPOSE_SYSTEM:
            raise _fail(label, f"each provision.purpose needs system {PURPOSE_SYSTEM}")
        code = str(coding.get("code", ""))
        if code not in taxonomy.purposes:
            known = ", ".join(sorted(taxonomy.purposes))
            raise _fail(label, f"unknown purpose '{code}'; known purposes: {known}")
        purposes.append(code)
    if not purposes:
        raise _fail(label, "provision.purpose names no purpose")
    period = provision.get("period")
    start = period.get("start") if isinstance(period, dict) else None
    if start is not None:
        effective = _date(start, label, "provision.period.start")
    elif "dateTime" in resource:
        effective = _date(resource["dateTime"], label, "dateTime")
    else:
        raise _fail(label, "no effective date: give provision.period.start or dateTime")
    return ParsedConsent(label, source_id, provision["type"], tuple(purposes), effective)


def consent_resources(document: Any, label: str) -> list[tuple[str, Any]]:
    """The Consent resources of a Consent or a Bundle, each with a label naming it."""
    if isinstance(document, dict) and document.get("resourceType") == "Bundle":
        entries = document.get("entry")
        if not isinstance(entries, list):
            raise _fail(label, "Bundle has no entry list")
        return [
            (f"{label} entry {i}", e.get("resource") if isinstance(e, dict) else None)
            for i, e in enumerate(entries)
        ]
    return [(label, document)]


def kind_for(provision: str, rule: str) -> str:
    """The event kind a permit/deny means under a purpose's rule."""
    if rule == "opt-out":
        return "withdraw_objection" if provision == "permit" else "objection"
    return "opt_in" if provision == "permit" else "withdraw_opt_in"


def to_fhir(event: ConsentEvent, patient_reference: str, index: int) -> dict[str, Any]:
    """One event as a FHIR R4 Consent; ``patient_reference`` is given by the caller."""
    return {
        "resourceType": "Consent",
        "id": f"consent-{event.person_id}-{index}",
        "status": "active",
        "scope": {"coding": [{"system": SCOPE_SYSTEM, "code": "research"}]},
        "category": [{"coding": [CATEGORY]}],
        "patient": {"reference": patient_reference},
        "dateTime": event.recorded_at or event.effective.isoformat(),
        "performer": [{"display": event.recorded_by}],
        "policyRule": {"text": f"{event.kind} via {event.channel}"},
        "provision": {
            "type": "permit" if INCLUDES[event.kind] else "deny",
            "period": {"start": event.effective.isoformat()},
            "purpose": [{"system": PURPOSE_SYSTEM, "code": event.purpose}],
        },
    }
