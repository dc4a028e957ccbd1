"""Errors of the consent context.

Messages name the record (line, entry or Consent id) and the reason, never a
patient's identity: pseudonyms and counts only.
"""

from socle.errors import SocleError


class ConsentError(SocleError):
    """Base of consent errors."""

    exit_code = 2


class UnknownPurposeError(ConsentError):
    """The purpose is not in the published taxonomy."""


class InvalidConsentEventError(ConsentError):
    """An event has an unknown kind or channel, no recorder, or a kind its purpose's rule refuses."""


class FutureDateError(ConsentError):
    """A recorded (past) event claims to take effect after today."""


class UnknownPatientError(ConsentError):
    """No patient with this source identifier in the identity vault."""

    exit_code = 1  # as the vault's own not-found error


class MalformedConsentError(ConsentError):
    """A FHIR Consent resource (or a bulk file line) cannot be read as a consent event."""
