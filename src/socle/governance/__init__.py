"""Governance: projects, requests, automatic checks, committee review, grants."""

from socle.governance.committee import (
    Criteria,
    Criterion,
    Member,
    Recommendation,
    Review,
    load_criteria,
)
from socle.governance.errors import (
    ConflictOfInterestError,
    GovernanceError,
    GrantError,
    NotAppointedError,
    NotFoundError,
    NotOnTeamError,
    ReviewError,
    SeparationOfDutiesError,
    TransitionError,
)
from socle.governance.model import (
    CheckResult,
    Decision,
    DecisionTime,
    DecisionTimeSummary,
    Grant,
    ProjectRequest,
    RequestedVariable,
    TeamMember,
)
from socle.governance.service import Governance
from socle.governance.team import TeamRoles, load_team_roles
from socle.warehouse import Population

__all__ = [
    "CheckResult",
    "ConflictOfInterestError",
    "Criteria",
    "Criterion",
    "Decision",
    "DecisionTime",
    "DecisionTimeSummary",
    "Governance",
    "GovernanceError",
    "Grant",
    "GrantError",
    "Member",
    "NotAppointedError",
    "NotFoundError",
    "NotOnTeamError",
    "Population",
    "ProjectRequest",
    "Recommendation",
    "RequestedVariable",
    "Review",
    "ReviewError",
    "SeparationOfDutiesError",
    "TeamMember",
    "TeamRoles",
    "TransitionError",
    "load_criteria",
    "load_team_roles",
]
