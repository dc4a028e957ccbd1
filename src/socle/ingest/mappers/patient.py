"""Patient → person (+ death). Direct identifiers go to the identity vault only."""

from __future__ import annotations

from typing import Any

from socle.ingest.context import MappingContext
from socle.ingest.errors import MappingError
from socle.ingest.fhir import optional_datetime
from socle.ingest.mappers import Mapped, mapper
from socle.ingest.places import generalised_location

GENDER = {"male": 8507, "female": 8532}
# OMB race and ethnicity categories (us-core extensions) → OMOP Race / Ethnicity concepts.
RACE = {"2106-3": 8527, "2054-5": 8516, "2028-9": 8515, "1002-5": 8657, "2076-8": 8557}
ETHNICITY = {"2135-2": 38003563, "2186-5": 38003564}
IDENTITY_FIELDS = ("name", "address", "telecom", "identifier", "birthDate", "photo", "contact")
IDENTITY_EXTENSIONS = ("mothersMaidenName", "birthPlace")


def _extension_code(resource: dict[str, Any], suffix: str) -> tuple[str, str]:
    for ext in resource.get("extension") or ():
        if isinstance(ext, dict) and str(ext.get("url", "")).endswith(suffix):
            for sub in ext.get("extension") or ():
                coding = sub.get("valueCoding") if isinstance(sub, dict) else None
                if coding and coding.get("code"):
                    return str(coding["code"]), str(coding.get("display", ""))
    return "", ""


def identity_of(resource: dict[str, Any]) -> dict[str, Any]:
    """Every direct identifier of the Patient, for the encrypted vault."""
    identity = {k: resource[k] for k in IDENTITY_FIELDS if k in resource}
    identity["source_id"] = resource["id"]
    for ext in resource.get("extension") or ():
        url = str(ext.get("url", "")) if isinstance(ext, dict) else ""
        if any(url.endswith(name) for name in IDENTITY_EXTENSIONS):
            identity[url.rsplit("-", 1)[-1]] = ext
    return identity


@mapper("Patient")
def map_patient(resource: dict[str, Any], ctx: MappingContext) -> Mapped:
    source_id = resource.get("id")
    if not isinstance(source_id, str) or not source_id:
        raise MappingError("Patient has no id")
    birth, _ = optional_datetime(resource.get("birthDate"), "birthDate")
    if birth is None:
        raise MappingError("Patient has no birthDate")
    gender = str(resource.get("gender", ""))
    person_id = ctx.pseudo.id("Patient", source_id)
    token = ctx.pseudo.token("Patient", source_id)
    race = _extension_code(resource, "us-core-race")
    ethnicity = _extension_code(resource, "us-core-ethnicity")
    mapped = Mapped(identity=(token, source_id, identity_of(resource)))
    # The address itself goes to the vault; the warehouse keeps its state and 3-digit zip.
    location = generalised_location(resource.get("address"), ctx)
    mapped.rows.append(
        (
            "person",
            {
                "person_id": person_id,
                "gender_concept_id": GENDER.get(gender, 0),
                "year_of_birth": birth.year,
                "month_of_birth": birth.month,
                "race_concept_id": RACE.get(race[0], 0),
                "ethnicity_concept_id": ETHNICITY.get(ethnicity[0], 0),
                "location_id": location[0] if location else None,
                "person_source_value": token,
                "gender_source_value": gender,
                "gender_source_concept_id": 0,
                "race_source_value": race[0],
                "race_source_concept_id": 0,
                "ethnicity_source_value": ethnicity[0],
                "ethnicity_source_concept_id": 0,
            },
        )
    )
    if location:
        mapped.rows.append(("location", location[1]))
    died, died_at = optional_datetime(resource.get("deceasedDateTime"), "deceasedDateTime")
    if died is not None:
        if died < birth:
            raise MappingError("Patient deceasedDateTime is before birthDate")
        mapped.rows.append(
            (
                "death",
                {
                    "person_id": person_id,
                    "death_date": died,
                    "death_datetime": died_at,
                    "death_type_concept_id": 32817,
                    "cause_concept_id": 0,
                },
            )
        )
    return mapped
