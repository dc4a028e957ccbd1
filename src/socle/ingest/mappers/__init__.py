"""FHIR resource → OMOP CDM mappers, one file per resource type, found by name.

A mapper is a function ``(resource, ctx) -> Mapped``; it raises
:class:`~socle.ingest.errors.MappingError` with a reason for a resource it
cannot map. Adding a resource type touches one file here and one test.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from socle.ingest.context import MappingContext
from socle.ingest.fhir import first_coding, parse_datetime, source_value


@dataclass(frozen=True)
class HeldText:
    """A note's raw attachments, waiting for de-identification (never staged as they are)."""

    attachments: list[Any]
    field: str
    patient: str  # source id: the vault entry and the date offset
    duplicate_of: str | None = None  # Synthea: the DiagnosticReport a DocumentReference copies


@dataclass
class Mapped:
    """Rows for CDM tables and, for a patient, the identity for the vault."""

    rows: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    identity: tuple[str, str, dict[str, Any]] | None = None
    directory: bool = False  # a provider-directory resource: about no patient, no dates
    note: HeldText | None = None  # a note: its text is de-identified at the end of the load


Mapper = Callable[[dict[str, Any], MappingContext], Mapped]
MAPPERS: dict[str, Mapper] = {}


def mapper(resource_type: str) -> Callable[[Mapper], Mapper]:
    def register(fn: Mapper) -> Mapper:
        MAPPERS[resource_type] = fn
        return fn

    return register


def load_all() -> dict[str, Mapper]:
    from socle.ingest.mappers import (  # noqa: F401
        allergy,
        billing,
        condition,
        device,
        directory,
        encounter,
        immunization,
        medication,
        note,
        observation,
        patient,
        procedure,
    )

    return MAPPERS


def coded_exposure(
    resource: dict[str, Any],
    ctx: MappingContext,
    *,
    table: Literal["device", "drug"],
    code: tuple[Any, str],
    when: str,
    type_concept: int,
    one_day: bool = False,
    **extra: Any,
) -> Mapped:
    """One ``<table>_exposure`` row for a coded event about ``resource["patient"]``: its code
    (``(codeable concept, field name)``), started at field ``when`` (and ended that day if
    ``one_day``), concept 0 until the vocabulary maps the source value. The shape shared by
    devices, supplies and immunisations; ``extra`` adds the table's other columns."""
    coding = ctx.remember(first_coding(*code))
    day, at = parse_datetime(resource.get(when), when)
    row = {
        f"{table}_exposure_id": ctx.record_id(resource),
        "person_id": ctx.person_id(resource.get("patient"), "patient"),
        f"{table}_concept_id": 0,
        f"{table}_exposure_start_date": day,
        f"{table}_exposure_start_datetime": at,
        **({f"{table}_exposure_end_date": day} if one_day else {}),
        f"{table}_type_concept_id": type_concept,
        **extra,
        f"{table}_source_value": source_value(coding),
        f"{table}_source_concept_id": 0,
    }
    return Mapped(rows=[(f"{table}_exposure", row)])
