"""Errors of the ingest context."""

from socle.errors import SocleError


class IngestError(SocleError):
    """Base of ingest errors."""


class NoInputError(IngestError):
    """The input path does not exist or holds no FHIR files."""

    exit_code = 2


class MappingError(IngestError):
    """One resource cannot be mapped; it is quarantined with this reason."""


class UnresolvedReferenceError(MappingError):
    """A reference to another resource of the input (e.g. a Medication) is not found (yet)."""


class KeyRotationError(IngestError):
    """A pseudonym-key rotation cannot run safely; nothing was changed."""

    exit_code = 2
