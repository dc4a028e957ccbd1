"""Errors of the consent context."""

from socle.errors import SocleError


class ConsentError(SocleError):
    """Base of consent errors."""

    exit_code = 2


class UnknownPurposeError(ConsentError):
    """The purpose is not in the published taxonomy."""
