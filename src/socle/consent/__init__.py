"""Consent: the purpose taxonomy, the append-only registry, the row filter, transparency."""

from socle.consent.errors import (
    ConsentError,
    FutureDateError,
    InvalidConsentEventError,
    MalformedConsentError,
    UnknownPatientError,
    UnknownPurposeError,
)
from socle.consent.fhir import PURPOSE_SYSTEM
from socle.consent.purposes import Purpose, Taxonomy, load_taxonomy
from socle.consent.registry import CHANNELS, INCLUDES, TABLES, ConsentEvent, ConsentRegistry
from socle.consent.service import ConsentService, ImportSummary
from socle.consent.transparency import Choice, ImpactedProject, ProjectUse, ReleasedOutput

__all__ = [
    "CHANNELS",
    "INCLUDES",
    "PURPOSE_SYSTEM",
    "TABLES",
    "Choice",
    "ConsentError",
    "ConsentEvent",
    "ConsentRegistry",
    "ConsentService",
    "FutureDateError",
    "ImpactedProject",
    "ImportSummary",
    "InvalidConsentEventError",
    "MalformedConsentError",
    "ProjectUse",
    "Purpose",
    "ReleasedOutput",
    "Taxonomy",
    "UnknownPatientError",
    "UnknownPurposeError",
    "load_taxonomy",
]
