"""What a mapper needs besides its resource: pseudonyms and the bundle's other resources."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from socle.ingest.fhir import Coding, optional_reference, reference_id
from socle.privacy import Pseudonymizer


@dataclass
class MappingContext:
    """Per-bundle state: resources by id (for references such as medicationReference).

    The patient and encounter ids of the bundle's references are kept by reference text:
    a bundle's thousands of resources name the same few, so each is parsed and keyed once.
    """

    pseudo: Pseudonymizer
    resources_by_id: dict[str, dict[str, Any]] = field(default_factory=dict)
    shared: dict[str, dict[str, Any]] = field(default_factory=dict)  # load-wide, by id
    codings: set[Coding] = field(default_factory=set)
    _persons: dict[str, int] = field(default_factory=dict, repr=False)
    _visits: dict[str, int | None] = field(default_factory=dict, repr=False)

    def person_id(self, subject: Any, field: str = "subject") -> int:
        text = subject.get("reference") if isinstance(subject, dict) else None
        if isinstance(text, str):
            known = self._persons.get(text)
            if known is not None:
                return known
        person = self.pseudo.id("Patient", reference_id(subject, field))
        if isinstance(text, str):
            self._persons[text] = person
        return person

    def visit_id(self, encounter: Any) -> int | None:
        text = encounter.get("reference") if isinstance(encounter, dict) else None
        if not isinstance(text, str):
            return None
        if text in self._visits:
            return self._visits[text]
        ref = optional_reference(encounter)
        visit = self.pseudo.id("Encounter", ref) if ref else None
        self._visits[text] = visit
        return visit

    def record_id(self, resource: dict[str, Any], suffix: str = "") -> int:
        return self.pseudo.id(resource["resourceType"], f"{resource['id']}{suffix}")

    def resolve(self, reference_id: str) -> dict[str, Any] | None:
        """A resource of this file, else one kept for the whole load (NDJSON Medications)."""
        return self.resources_by_id.get(reference_id) or self.shared.get(reference_id)

    def remember(self, coding: Coding) -> Coding:
        """Keep a coding for the source-code dictionary (code labels, no free text)."""
        self.codings.add(coding)
        return coding
