"""FHIR resource → OMOP CDM mappers, one file per resource type, found by name.

A mapper is a function ``(resource, ctx) -> Mapped``; it raises
:class:`~socle.ingest.errors.MappingError` with a reason for a resource it
cannot map. Adding a resource type touches one file here and one test.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from socle.ingest.context import MappingContext


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
