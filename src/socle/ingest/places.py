"""Places at the door: an address becomes a generalised ``location`` row (state, 3-digit zip)."""

from __future__ import annotations

from typing import Any

from socle.ingest.context import MappingContext

ZIP_DIGITS = 3  # a zip code is kept to its first 3 digits (never the street)


def generalised_location(address: Any, ctx: MappingContext) -> tuple[int, dict[str, Any]] | None:
    """The ``location`` row of an address, generalised to its state and 3-digit zip."""
    if isinstance(address, list):
        address = address[0] if address else None
    if not isinstance(address, dict):
        return None
    state = str(address.get("state") or "")[:20]
    zip3 = "".join(ch for ch in str(address.get("postalCode") or "") if ch.isdigit())[:ZIP_DIGITS]
    if not state and not zip3:
        return None
    location_id = ctx.pseudo.id("Location", f"{state}|{zip3}")
    return location_id, {
        "location_id": location_id,
        "state": state or None,
        "zip": zip3 or None,
        "country_concept_id": 0,
        "country_source_value": str(address.get("country") or "")[:10] or None,
    }
