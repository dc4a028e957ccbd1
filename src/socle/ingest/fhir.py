"""Small FHIR R4 helpers shared by the mappers: dates, codings, references."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from socle.ingest.errors import MappingError

VOCABULARY = {
    "http://snomed.info/sct": "SNOMED",
    "http://loinc.org": "LOINC",
    "http://www.nlm.nih.gov/research/umls/rxnorm": "RxNorm",
    "http://hl7.org/fhir/sid/cvx": "CVX",
    "http://hl7.org/fhir/sid/icd-10-cm": "ICD10CM",
    "http://hl7.org/fhir/sid/icd-10": "ICD10",
    "http://unitsofmeasure.org": "UCUM",
    "http://terminology.hl7.org/CodeSystem/v3-ActCode": "ActCode",
}

Coding = tuple[str, str, str]  # (vocabulary_id, code, display); display is never the input's
DATETIME_RULE = "expected YYYY, YYYY-MM, YYYY-MM-DD or an ISO 8601 dateTime"


def parse_datetime(value: Any, field: str) -> tuple[date, datetime]:
    """Date and datetime of a FHIR date or dateTime, both in the local time written.

    The CDM expects local dates and datetimes (a visit's date is the day of its
    datetime); the offset is dropped, not converted to UTC.
    """
    if isinstance(value, str):
        known = _PARSED.get(value)
        if known is not None:
            return known
    if not isinstance(value, str) or len(value) < 4:
        raise MappingError(f"{field} is missing or not a FHIR dateTime ({DATETIME_RULE})")
    parsed = _parse(value, field)
    if len(_PARSED) >= _PARSED_MAX:
        _PARSED.clear()
    _PARSED[value] = parsed
    return parsed


# Timestamps already parsed (events of one encounter share theirs), bounded: emptied when full.
_PARSED: dict[str, tuple[date, datetime]] = {}
_PARSED_MAX = 65_536


def _parse(value: str, field: str) -> tuple[date, datetime]:
    try:
        if len(value) <= 10:
            parts = [int(p) for p in value.split("-")] + [1, 1]
            d = date(parts[0], parts[1], parts[2])
            return d, datetime(d.year, d.month, d.day)
        dt = datetime.fromisoformat(value)
    except ValueError as exc:
        # The value is not quoted: a malformed field may hold anything, a name included.
        raise MappingError(f"{field} is not a valid FHIR dateTime ({DATETIME_RULE})") from exc
    return dt.date(), dt.replace(tzinfo=None)


def optional_datetime(value: Any, field: str) -> tuple[date | None, datetime | None]:
    return (None, None) if value is None else parse_datetime(value, field)


def first_coding(concept: Any, field: str) -> Coding:
    """The first coding of a CodeableConcept, as (vocabulary, code, "").

    The input's ``display`` is free text a producer may fill with anything (a name, an
    address): it is not kept. A code's name comes from the loaded vocabulary.
    """
    if not isinstance(concept, dict):
        raise MappingError(f"{field} is missing")
    for coding in concept.get("coding") or ():
        if isinstance(coding, dict) and coding.get("code"):
            system = str(coding.get("system", ""))
            return (VOCABULARY.get(system, system), str(coding["code"]), "")
    raise MappingError(f"{field} has no coding with a code")


def source_value(coding: Coding) -> str:
    """The ``*_source_value`` of a coding: ``VOCABULARY|code``."""
    return f"{coding[0]}|{coding[1]}"


def reference_id(ref: Any, field: str) -> str:
    """The logical id a Reference points to (``urn:uuid:X``, ``Type/X`` or absolute URL)."""
    if not isinstance(ref, dict) or not isinstance(ref.get("reference"), str):
        raise MappingError(f"{field} reference is missing")
    text: str = ref["reference"]
    if text.startswith("urn:uuid:"):
        return text[9:]
    if "?" in text:
        raise MappingError(f"{field} is a conditional reference, not a patient or record id")
    return text.rstrip("/").rsplit("/", 1)[-1]


def directory_key(ref: Any) -> str | None:
    """The key of a provider-directory reference: ``Type?identifier=system|value`` → ``system|value``.

    Synthea's bundles point to practitioners, organisations and locations this way;
    the directory resources carry the same identifier, so both give the same pseudonym.
    """
    if not isinstance(ref, dict) or not isinstance(ref.get("reference"), str):
        return None
    text: str = ref["reference"]
    if "?identifier=" in text:
        return text.split("?identifier=", 1)[1] or None
    return optional_reference(ref)


def identifier_key(resource: dict[str, Any]) -> str:
    """``system|value`` of a directory resource's first identifier (its id when it has none)."""
    for identifier in resource.get("identifier") or ():
        if isinstance(identifier, dict) and identifier.get("value"):
            return f"{identifier.get('system', '')}|{identifier['value']}"
    return str(resource["id"])


def optional_reference(ref: Any) -> str | None:
    if not isinstance(ref, dict) or not isinstance(ref.get("reference"), str):
        return None
    text: str = ref["reference"]
    if "?" in text:
        return None
    return text[9:] if text.startswith("urn:uuid:") else text.rsplit("/", 1)[-1]
