"""Errors of the privacy context."""

from socle.errors import SocleError


class PrivacyError(SocleError):
    """Base of privacy errors."""


class UnsafeSecretError(PrivacyError):
    """A secret file is readable by others or malformed."""

    exit_code = 2


class VaultError(PrivacyError):
    """The identity vault cannot decrypt or find an entry."""
