"""Immunization → drug_exposure (vaccines are drugs in OMOP)."""

from __future__ import annotations

from typing import Any

from socle.ingest.context import MappingContext
from socle.ingest.fhir import first_coding, parse_datetime, source_value
from socle.ingest.mappers import Mapped, mapper


@mapper("Immunization")
def map_immunization(resource: dict[str, Any], ctx: MappingContext) -> Mapped:
    coding = ctx.remember(first_coding(resource.get("vaccineCode"), "vaccineCode"))
    day, at = parse_datetime(resource.get("occurrenceDateTime"), "occurrenceDateTime")
    return Mapped(
        rows=[
            (
                "drug_exposure",
                {
                    "drug_exposure_id": ctx.record_id(resource),
                    "person_id": ctx.person_id(resource.get("patient"), "patient"),
                    "drug_concept_id": 0,
                    "drug_exposure_start_date": day,
                    "drug_exposure_start_datetime": at,
                    "drug_exposure_end_date": day,
                    "drug_type_concept_id": 32818,
                    "visit_occurrence_id": ctx.visit_id(resource.get("encounter")),
                    "drug_source_value": source_value(coding),
                    "drug_source_concept_id": 0,
                },
            )
        ]
    )
