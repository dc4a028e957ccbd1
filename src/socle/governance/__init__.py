"""Governance: projects, requests, automatic checks, committee decisions, grants."""

from socle.governance.errors import GovernanceError, GrantError, NotFoundError, TransitionError
from socle.governance.model import CheckResult, Grant, ProjectRequest, RequestedVariable
from socle.governance.service import Governance

__all__ = [
    "CheckResult",
    "Governance",
    "GovernanceError",
    "Grant",
    "GrantError",
    "NotFoundError",
    "ProjectRequest",
    "RequestedVariable",
    "TransitionError",
]
