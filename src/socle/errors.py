"""The root of Socle's typed errors.

Every error a person can act on derives from :class:`SocleError`; each context
defines one base under it and specific errors under that. The CLI prints the
message without a traceback and exits with ``exit_code``; the API (later)
turns it into problem+json. Messages never carry patient data: pseudonyms,
file positions and counts only.
"""

from __future__ import annotations


class SocleError(Exception):
    """An error whose message a user can act on."""

    exit_code: int = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigError(SocleError):
    """The deployment's settings or secrets are missing or unsafe."""

    exit_code = 2


class InputError(SocleError):
    """A path or argument given by the user cannot be used."""

    exit_code = 2
