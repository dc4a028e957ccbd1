"""Governance: projects, requests, automatic checks, committee review, grants."""

from socle.governance.board import Committee
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
from socle.governance.grants import Grants
from socle.governance.model import (
    CheckResult,
    Decision,
    DecisionTime,
    DecisionTimeSummary,
    Grant,
    ProjectRequest,
    RequestedVariable,
    RequestRecord,
    TeamMember,
)
from socle.governance.requests import RequestLifecycle
from socle.governance.service import Governance
from socle.governance.states import TRANSITIONS, RequestState
from socle.governance.tables import TABLES
from socle.governance.team import TeamRoles, load_team_roles
from socle.warehouse import Population

__all__ = [
    "TABLES",
    "TRANSITIONS",
    "CheckResult",
    "Committee",
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
    "Grants",
    "Member",
    "NotAppointedError",
    "NotFoundError",
    "NotOnTeamError",
    "Population",
    "ProjectRequest",
    "Recommendation",
    "RequestLifecycle",
    "RequestRecord",
    "RequestState",
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
