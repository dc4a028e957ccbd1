"""Errors of the release context."""

from socle.errors import SocleError


class ReleaseError(SocleError):
    """Base of release errors."""

    exit_code = 5


class OutputError(ReleaseError):
    """An output cannot be checked as given (wrong shape, unknown kind, missing evidence)."""


class DeskError(ReleaseError):
    """An output request cannot move as asked (state, separation of duties, missing reasons)."""


class BudgetError(ReleaseError):
    """A differentially private release would exceed the project's privacy budget."""


class NotFoundError(ReleaseError):
    """No output request or released file with this id."""
