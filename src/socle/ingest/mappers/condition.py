"""Condition → condition_occurrence."""

from __future__ import annotations

from typing import Any

from socle.ingest.context import MappingContext
from socle.ingest.fhir import first_coding, optional_datetime, parse_datetime, source_value
from socle.ingest.mappers import Mapped, mapper


@mapper("Condition")
def map_condition(resource: dict[str, Any], ctx: MappingContext) -> Mapped:
    coding = ctx.remember(first_coding(resource.get("code"), "code"))
    onset = resource.get("onsetDateTime") or resource.get("recordedDate")
    start, start_at = parse_datetime(onset, "onsetDateTime")
    end, end_at = optional_datetime(resource.get("abatementDateTime"), "abatementDateTime")
    return Mapped(
        rows=[
            (
                "condition_occurrence",
                {
                    "condition_occurrence_id": ctx.record_id(resource),
                    "person_id": ctx.person_id(resource.get("subject")),
                    "condition_concept_id": 0,
                    "condition_start_date": start,
                    "condition_start_datetime": start_at,
                    "condition_end_date": end,
                    "condition_end_datetime": end_at,
                    "condition_type_concept_id": 32817,
                    "visit_occurrence_id": ctx.visit_id(resource.get("encounter")),
                    "condition_source_value": source_value(coding),
                    "condition_source_concept_id": 0,
                },
            )
        ]
    )
