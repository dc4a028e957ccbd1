"""Errors of the governance context."""

from socle.errors import SocleError


class GovernanceError(SocleError):
    """Base of governance errors."""

    exit_code = 4


class TransitionError(GovernanceError):
    """A request cannot move to the asked state from its current one."""


class GrantError(GovernanceError):
    """A grant is unknown, not yet valid, expired or revoked."""


class NotOnTeamError(GovernanceError):
    """The actor is not on the grant's team, or their team role may not do this work."""


class NotFoundError(GovernanceError):
    """No project, request or grant with this id."""


class ReviewError(GovernanceError):
    """A committee review, member or conflict declaration is invalid."""


class ConflictOfInterestError(ReviewError):
    """A member with a declared conflict of interest may not review or decide this request."""


class NotAppointedError(ReviewError):
    """Only an active appointed committee member reviews, decides or issues a grant."""


class SeparationOfDutiesError(ReviewError):
    """Nobody on a project's team reviews, decides or issues its grant."""
