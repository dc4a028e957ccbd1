"""AllergyIntolerance → observation (the allergen code as the observed fact)."""

from __future__ import annotations

from typing import Any

from socle.ingest.context import MappingContext
from socle.ingest.fhir import first_coding, parse_datetime, source_value
from socle.ingest.mappers import Mapped, mapper


@mapper("AllergyIntolerance")
def map_allergy(resource: dict[str, Any], ctx: MappingContext) -> Mapped:
    coding = ctx.remember(first_coding(resource.get("code"), "code"))
    day, at = parse_datetime(
        resource.get("recordedDate") or resource.get("onsetDateTime"), "recordedDate"
    )
    return Mapped(
        rows=[
            (
                "observation",
                {
                    "observation_id": ctx.record_id(resource),
                    "person_id": ctx.person_id(resource.get("patient"), "patient"),
                    "observation_concept_id": 0,
                    "observation_date": day,
                    "observation_datetime": at,
                    "observation_type_concept_id": 32817,
                    "visit_occurrence_id": ctx.visit_id(resource.get("encounter")),
                    "observation_source_value": source_value(coding),
                    "observation_source_concept_id": 0,
                    "value_source_value": "allergy",
                },
            )
        ]
    )
