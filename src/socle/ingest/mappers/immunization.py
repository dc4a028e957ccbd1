"""Immunization → drug_exposure (vaccines are drugs in OMOP)."""

from __future__ import annotations

from typing import Any

from socle.ingest.context import MappingContext
from socle.ingest.mappers import Mapped, coded_exposure, mapper

EHR_ADMINISTRATION = 32818


@mapper("Immunization")
def map_immunization(resource: dict[str, Any], ctx: MappingContext) -> Mapped:
    return coded_exposure(
        resource, ctx, table="drug", code=(resource.get("vaccineCode"), "vaccineCode"),
        when="occurrenceDateTime", type_concept=EHR_ADMINISTRATION, one_day=True,
        visit_occurrence_id=ctx.visit_id(resource.get("encounter")),
    )  # fmt: skip
