"""Device and SupplyDelivery → device_exposure.

A Synthea Device is an implant or durable device given to the patient; its
use starts at ``manufactureDate`` (Synthea writes the start of use there).
The UDI and serial numbers are device identifiers and are not stored. A
SupplyDelivery is a supplied item (SNOMED physical object) with its quantity.
"""

from __future__ import annotations

from typing import Any

from socle.ingest.context import MappingContext
from socle.ingest.fhir import first_coding, parse_datetime, source_value
from socle.ingest.mappers import Mapped, mapper

EHR = 32817


@mapper("Device")
def map_device(resource: dict[str, Any], ctx: MappingContext) -> Mapped:
    coding = ctx.remember(first_coding(resource.get("type"), "type"))
    day, at = parse_datetime(resource.get("manufactureDate"), "manufactureDate")
    return Mapped(
        rows=[
            (
                "device_exposure",
                {
                    "device_exposure_id": ctx.record_id(resource),
                    "person_id": ctx.person_id(resource.get("patient"), "patient"),
                    "device_concept_id": 0,
                    "device_exposure_start_date": day,
                    "device_exposure_start_datetime": at,
                    "device_type_concept_id": EHR,
                    "device_source_value": source_value(coding),
                    "device_source_concept_id": 0,
                },
            )
        ]
    )


@mapper("SupplyDelivery")
def map_supply(resource: dict[str, Any], ctx: MappingContext) -> Mapped:
    item = resource.get("suppliedItem") or {}
    coding = ctx.remember(first_coding(item.get("itemCodeableConcept"), "suppliedItem"))
    day, at = parse_datetime(resource.get("occurrenceDateTime"), "occurrenceDateTime")
    quantity = (item.get("quantity") or {}).get("value")
    return Mapped(
        rows=[
            (
                "device_exposure",
                {
                    "device_exposure_id": ctx.record_id(resource),
                    "person_id": ctx.person_id(resource.get("patient"), "patient"),
                    "device_concept_id": 0,
                    "device_exposure_start_date": day,
                    "device_exposure_start_datetime": at,
                    "device_exposure_end_date": day,
                    "device_type_concept_id": EHR,
                    "quantity": int(quantity) if isinstance(quantity, int | float) else None,
                    "device_source_value": source_value(coding),
                    "device_source_concept_id": 0,
                },
            )
        ]
    )
