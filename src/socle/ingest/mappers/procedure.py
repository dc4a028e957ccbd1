"""Procedure → procedure_occurrence."""

from __future__ import annotations

from typing import Any

from socle.ingest.context import MappingContext
from socle.ingest.fhir import first_coding, optional_datetime, parse_datetime, source_value
from socle.ingest.mappers import Mapped, mapper


@mapper("Procedure")
def map_procedure(resource: dict[str, Any], ctx: MappingContext) -> Mapped:
    coding = ctx.remember(first_coding(resource.get("code"), "code"))
    period = resource.get("performedPeriod") or {}
    start, start_at = parse_datetime(
        resource.get("performedDateTime") or period.get("start"), "performed[x]"
    )
    end, end_at = optional_datetime(period.get("end"), "performedPeriod.end")
    return Mapped(
        rows=[
            (
                "procedure_occurrence",
                {
                    "procedure_occurrence_id": ctx.record_id(resource),
                    "person_id": ctx.person_id(resource.get("subject")),
                    "procedure_concept_id": 0,
                    "procedure_date": start,
                    "procedure_datetime": start_at,
                    "procedure_end_date": end,
                    "procedure_end_datetime": end_at,
                    "procedure_type_concept_id": 32817,
                    "visit_occurrence_id": ctx.visit_id(resource.get("encounter")),
                    "procedure_source_value": source_value(coding),
                    "procedure_source_concept_id": 0,
                },
            )
        ]
    )
