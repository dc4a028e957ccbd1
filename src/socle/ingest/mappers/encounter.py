"""Encounter → visit_occurrence; the visit concept comes from Encounter.class."""

from __future__ import annotations

from typing import Any

from socle.ingest.context import MappingContext
from socle.ingest.errors import MappingError
from socle.ingest.fhir import optional_datetime, parse_datetime
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


@mapper("Encounter")
def map_encounter(resource: dict[str, Any], ctx: MappingContext) -> Mapped:
    klass = resource.get("class")
    code = str(klass.get("code", "")) if isinstance(klass, dict) else ""
    if not code:
        raise MappingError("Encounter has no class code")
    period = resource.get("period") or {}
    start, start_at = parse_datetime(period.get("start"), "period.start")
    end, end_at = optional_datetime(period.get("end"), "period.end")
    return Mapped(
        rows=[
            (
                "visit_occurrence",
                {
                    "visit_occurrence_id": ctx.record_id(resource),
                    "person_id": ctx.person_id(resource.get("subject")),
                    "visit_concept_id": VISIT_CONCEPT.get(code, 0),
                    "visit_start_date": start,
                    "visit_start_datetime": start_at,
                    "visit_end_date": end or start,
                    "visit_end_datetime": end_at or start_at,
                    "visit_type_concept_id": 32817,
                    "visit_source_value": f"ActCode|{code}",
                    "visit_source_concept_id": 0,
                },
            )
        ]
    )
