"""Observation → measurement (quantities, coded labs and vitals) or observation.

A panel with components gives one row per component and none for the panel
itself (as Synthea's CSV and ETL-Synthea do): a blood pressure gives two
measurements, a PRAPARE survey one observation per answer. ``valueString``
is free text and is never stored.
"""

from __future__ import annotations

from typing import Any

from socle.ingest.context import MappingContext
from socle.ingest.fhir import first_coding, parse_datetime, source_value
from socle.ingest.mappers import Mapped, mapper

MEASUREMENT_CATEGORIES = {"laboratory", "vital-signs"}


def _categories(resource: dict[str, Any]) -> set[str]:
    return {
        str(c.get("code"))
        for cat in resource.get("category") or ()
        if isinstance(cat, dict)
        for c in cat.get("coding") or ()
        if isinstance(c, dict)
    }


def _measurement(
    ctx: MappingContext, base: dict[str, Any], code: Any, holder: dict[str, Any], suffix: str
) -> tuple[str, dict[str, Any]]:
    coding = ctx.remember(first_coding(code, "code"))
    row = dict(base, measurement_id=ctx.pseudo.id("Observation", base["_id"] + suffix))
    row.update(measurement_concept_id=0, measurement_source_value=source_value(coding))
    row.update(measurement_source_concept_id=0, measurement_type_concept_id=32817)
    quantity = holder.get("valueQuantity")
    if isinstance(quantity, dict) and isinstance(quantity.get("value"), int | float):
        row["value_as_number"] = float(quantity["value"])
        row["unit_source_value"] = str(quantity.get("code") or quantity.get("unit") or "")
        row["unit_concept_id"] = 0
    elif isinstance(holder.get("valueCodeableConcept"), dict):
        value = ctx.remember(first_coding(holder["valueCodeableConcept"], "valueCodeableConcept"))
        row["value_source_value"] = source_value(value)
        row["value_as_concept_id"] = 0
    del row["_id"]
    return "measurement", row


@mapper("Observation")
def map_observation(resource: dict[str, Any], ctx: MappingContext) -> Mapped:
    day, at = parse_datetime(
        resource.get("effectiveDateTime") or resource.get("issued"), "effectiveDateTime"
    )
    base = {
        "_id": resource.get("id", ""),
        "person_id": ctx.person_id(resource.get("subject")),
        "measurement_date": day,
        "measurement_datetime": at,
        "visit_occurrence_id": ctx.visit_id(resource.get("encounter")),
    }
    components = [c for c in resource.get("component") or () if isinstance(c, dict)]
    is_measurement = "valueQuantity" in resource or (
        _categories(resource) & MEASUREMENT_CATEGORIES and "valueString" not in resource
    )
    if components:
        rows = [
            _measurement(ctx, base, c.get("code"), c, f"#{i}")
            if "valueQuantity" in c or is_measurement
            else _observation(ctx, base, c.get("code"), c, f"#{i}")
            for i, c in enumerate(components)
        ]
        return Mapped(rows=rows)
    if is_measurement:
        return Mapped(rows=[_measurement(ctx, base, resource.get("code"), resource, "")])
    return Mapped(rows=[_observation(ctx, base, resource.get("code"), resource, "")])


def _observation(
    ctx: MappingContext, base: dict[str, Any], code: Any, holder: dict[str, Any], suffix: str
) -> tuple[str, dict[str, Any]]:
    coding = ctx.remember(first_coding(code, "code"))
    row: dict[str, Any] = {
        "observation_id": ctx.pseudo.id("Observation", base["_id"] + suffix),
        "person_id": base["person_id"],
        "observation_concept_id": 0,
        "observation_date": base["measurement_date"],
        "observation_datetime": base["measurement_datetime"],
        "observation_type_concept_id": 32817,
        "visit_occurrence_id": base["visit_occurrence_id"],
        "observation_source_value": source_value(coding),
        "observation_source_concept_id": 0,
    }
    if isinstance(holder.get("valueCodeableConcept"), dict):
        value = ctx.remember(first_coding(holder["valueCodeableConcept"], "valueCodeableConcept"))
        row["value_source_value"] = source_value(value)
        row["value_as_concept_id"] = 0
    quantity = holder.get("valueQuantity")
    if isinstance(quantity, dict) and isinstance(quantity.get("value"), int | float):
        row["value_as_number"] = float(quantity["value"])
        row["unit_source_value"] = str(quantity.get("code") or quantity.get("unit") or "")
        row["unit_concept_id"] = 0
    return "observation", row
