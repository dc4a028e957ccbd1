"""Encounter → visit_occurrence and visit_detail, with provider and care site.

The visit concept comes from ``Encounter.class``, refined by the encounter type
as ETL-Synthea does (an urgent-care encounter is an emergency visit, 9203).
Each encounter is also its own ``visit_detail`` (same id), as in ETL-Synthea.
"""

from __future__ import annotations

from typing import Any

from socle.ingest.context import MappingContext
from socle.ingest.errors import MappingError
from socle.ingest.fhir import directory_key, optional_datetime, parse_datetime
from socle.ingest.mappers import Mapped, mapper

# v3-ActCode encounter class → OMOP standard visit concept.
VISIT_CONCEPT = {
    "AMB": 9202,  # Outpatient Visit
    "EMER": 9203,  # Emergency Room Visit
    "IMP": 9201,  # Inpatient Visit
    "ACUTE": 9201,
    "NONAC": 9201,
    "HH": 581476,  # Home Visit
    "VR": 5083,  # Telehealth
    "OBSENC": 9202,
    "SS": 9202,
}
# SNOMED encounter types that decide the visit concept whatever the class.
TYPE_VISIT_CONCEPT = {"702927004": 9203}  # Urgent care clinic → Emergency Room Visit
EHR_ENCOUNTER_RECORD = 32827


def _type_codes(resource: dict[str, Any]) -> list[str]:
    return [
        str(c.get("code"))
        for t in resource.get("type") or ()
        if isinstance(t, dict)
        for c in t.get("coding") or ()
        if isinstance(c, dict)
    ]


def _practitioner(resource: dict[str, Any]) -> Any:
    for participant in resource.get("participant") or ():
        if isinstance(participant, dict) and participant.get("individual"):
            return participant["individual"]
    return None


def visit_concept(klass: str, resource: dict[str, Any]) -> int:
    for code in _type_codes(resource):
        if code in TYPE_VISIT_CONCEPT:
            return TYPE_VISIT_CONCEPT[code]
    return VISIT_CONCEPT.get(klass, 0)


@mapper("Encounter")
def map_encounter(resource: dict[str, Any], ctx: MappingContext) -> Mapped:
    klass = resource.get("class")
    code = str(klass.get("code", "")) if isinstance(klass, dict) else ""
    if not code:
        raise MappingError("Encounter has no class code")
    period = resource.get("period") or {}
    start, start_at = parse_datetime(period.get("start"), "period.start")
    end, end_at = optional_datetime(period.get("end"), "period.end")
    visit_id = ctx.record_id(resource)
    person_id = ctx.person_id(resource.get("subject"))
    practitioner = directory_key(_practitioner(resource))
    organisation = directory_key(resource.get("serviceProvider"))
    provider_id = ctx.pseudo.id("Practitioner", practitioner) if practitioner else None
    care_site_id = ctx.pseudo.id("Organization", organisation) if organisation else None
    concept = visit_concept(code, resource)
    visit = {
        "visit_occurrence_id": visit_id,
        "person_id": person_id,
        "visit_concept_id": concept,
        "visit_start_date": start,
        "visit_start_datetime": start_at,
        "visit_end_date": end or start,
        "visit_end_datetime": end_at or start_at,
        "visit_type_concept_id": EHR_ENCOUNTER_RECORD,
        "provider_id": provider_id,
        "care_site_id": care_site_id,
        "visit_source_value": f"ActCode|{code}",
        "visit_source_concept_id": 0,
    }
    detail = {
        "visit_detail_id": visit_id,
        "person_id": person_id,
        "visit_detail_concept_id": concept,
        "visit_detail_start_date": start,
        "visit_detail_start_datetime": start_at,
        "visit_detail_end_date": end or start,
        "visit_detail_end_datetime": end_at or start_at,
        "visit_detail_type_concept_id": EHR_ENCOUNTER_RECORD,
        "provider_id": provider_id,
        "care_site_id": care_site_id,
        "visit_detail_source_value": f"ActCode|{code}",
        "visit_detail_source_concept_id": 0,
        "visit_occurrence_id": visit_id,
    }
    return Mapped(rows=[("visit_occurrence", visit), ("visit_detail", detail)])
