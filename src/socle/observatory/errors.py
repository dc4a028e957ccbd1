"""The observatory's typed errors: messages name the entry and what to do."""

from __future__ import annotations

from socle.errors import SocleError


class ObservatoryError(SocleError):
    """Base of observatory errors."""

    exit_code = 2


class EntryNotFoundError(ObservatoryError):
    """No entry (or no published entry, for a public reader) with that id."""


class WorkflowError(ObservatoryError):
    """A move the review workflow does not allow (state, separation of duties, conflict)."""

    exit_code = 3


class MethodError(ObservatoryError):
    """A scoring method that cannot be read, adopted or applied."""
