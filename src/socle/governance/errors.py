"""Errors of the governance context."""

from socle.errors import SocleError


class GovernanceError(SocleError):
    """Base of governance errors."""

    exit_code = 4


class TransitionError(GovernanceError):
    """A request cannot move to the asked state from its current one."""


class GrantError(GovernanceError):
    """A grant is unknown, not yet valid, expired or revoked."""


class NotFoundError(GovernanceError):
    """No project, request or grant with this id."""
