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
    NotFoundError,
    ReviewError,
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
)
from socle.governance.service import Governance

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
    "NotFoundError",
    "ProjectRequest",
    "Recommendation",
    "RequestedVariable",
    "Review",
    "ReviewError",
    "TransitionError",
    "load_criteria",
]
