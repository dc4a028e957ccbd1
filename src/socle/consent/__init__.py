"""Consent: the purpose taxonomy, the append-only registry and the row filter."""

from socle.consent.errors import ConsentError, UnknownPurposeError
from socle.consent.purposes import Purpose, Taxonomy, load_taxonomy
from socle.consent.registry import ConsentEvent, ConsentRegistry

__all__ = [
    "ConsentError",
    "ConsentEvent",
    "ConsentRegistry",
    "Purpose",
    "Taxonomy",
    "UnknownPurposeError",
    "load_taxonomy",
]
