"""Device and SupplyDelivery → device_exposure.

A Synthea Device is an implant or durable device given to the patient; its
use starts at ``manufactureDate`` (Synthea writes the start of use there).
The UDI and serial numbers are device identifiers and are not stored. A
SupplyDelivery is a supplied item (SNOMED physical object) with its quantity.
"""

from __future__ import annotations

from typing import Any

from socle.ingest.context import MappingContext
from socle.ingest.mappers import Mapped, coded_exposure, mapper

EHR = 32817


@mapper("Device")
def map_device(resource: dict[str, Any], ctx: MappingContext) -> Mapped:
    return coded_exposure(
        resource, ctx, table="device", code=(resource.get("type"), "type"),
        when="manufactureDate", type_concept=EHR,
    )  # fmt: skip


@mapper("SupplyDelivery")
def map_supply(resource: dict[str, Any], ctx: MappingContext) -> Mapped:
    item = resource.get("suppliedItem") or {}
    quantity = (item.get("quantity") or {}).get("value")
    return coded_exposure(
        resource, ctx, table="device", code=(item.get("itemCodeableConcept"), "suppliedItem"),
        when="occurrenceDateTime", type_concept=EHR, one_day=True,
        quantity=int(quantity) if isinstance(quantity, int | float) else None,
    )  # fmt: skip
