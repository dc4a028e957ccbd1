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


def crash_place(exc: BaseException) -> str:
    """Where an unexpected error was raised: ``socle/x/y.py:42 in function``.

    The innermost frame of Socle's own code (else the innermost frame), with a
    path relative to the package: what an operator needs, and nothing of the
    error's message or local variables, which may quote patient data.
    """
    import traceback
    from pathlib import Path

    package = Path(__file__).resolve().parent
    frames = traceback.extract_tb(exc.__traceback__) if exc.__traceback__ else []
    ours = [f for f in frames if Path(f.filename).resolve().is_relative_to(package)]
    if not (ours or frames):
        return "an unknown place"
    frame = (ours or frames)[-1]
    path = Path(frame.filename).resolve()
    short = path.relative_to(package.parent).as_posix() if ours else path.name
    return f"{short}:{frame.lineno} in {frame.name}"
