"""Practitioner → provider, Organization → care_site: the provider directory of a Synthea export.

Rows keep no name of a person (``provider_name``, NPI and DEA numbers stay
empty): a provider is its pseudonym, gender and care site. An organisation keeps
its name (a site, not a person) and a generalised location. Ids are pseudonyms
of the directory identifier (``system|value``), which is what patient bundles'
conditional references (``Practitioner?identifier=…``) name, so both agree.
"""

from __future__ import annotations

from typing import Any

from socle.ingest.context import MappingContext
from socle.ingest.fhir import identifier_key
from socle.ingest.mappers import Mapped, mapper
from socle.ingest.mappers.patient import GENDER
from socle.ingest.places import generalised_location


@mapper("Practitioner")
def map_practitioner(resource: dict[str, Any], ctx: MappingContext) -> Mapped:
    gender = str(resource.get("gender", ""))
    return Mapped(
        rows=[
            (
                "provider",
                {
                    "provider_id": ctx.pseudo.id("Practitioner", identifier_key(resource)),
                    "specialty_concept_id": 0,
                    "gender_concept_id": GENDER.get(gender, 0),
                    "gender_source_value": gender or None,
                    "gender_source_concept_id": 0,
                },
            )
        ],
        directory=True,
    )


@mapper("Organization")
def map_organization(resource: dict[str, Any], ctx: MappingContext) -> Mapped:
    rows: list[tuple[str, dict[str, Any]]] = []
    location = generalised_location(resource.get("address"), ctx)
    if location:
        rows.append(("location", location[1]))
    kind = next(
        (
            str(c.get("code"))
            for t in resource.get("type") or ()
            if isinstance(t, dict)
            for c in t.get("coding") or ()
            if isinstance(c, dict) and c.get("code")
        ),
        None,
    )
    rows.append(
        (
            "care_site",
            {
                "care_site_id": ctx.pseudo.id("Organization", identifier_key(resource)),
                "care_site_name": str(resource.get("name") or "")[:255] or None,
                "place_of_service_concept_id": 0,
                "location_id": location[0] if location else None,
                "place_of_service_source_value": kind,
            },
        )
    )
    return Mapped(rows=rows, directory=True)
