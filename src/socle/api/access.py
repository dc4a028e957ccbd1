"""Scope checks beyond roles: whose grant, whose consent, which care context.

A researcher reaches only the requests and grants of projects whose team
lists them; a patient only their own consent; a clinician only predictions
of their care contexts. Committee members and auditors read every request
and grant; college members read every prediction.
"""

from __future__ import annotations

from socle.api.auth import Principal
from socle.api.errors import PermissionDeniedError
from socle.api.roles import Role
from socle.governance import Grant, ProjectRequest
from socle.guarantee import Prediction
from socle.node import Node

OVERSIGHT = frozenset({Role.COMMITTEE_MEMBER, Role.AUDITOR})


def project_request(node: Node, who: Principal, request_id: str) -> ProjectRequest:
    """The request, if ``who`` oversees requests or is on its team."""
    request, _ = node.governance.request(request_id)
    if not who.has_any(OVERSIGHT) and not request.on_team(who.subject):
        raise PermissionDeniedError(f"you are not on the team of request {request_id}")
    return request


def team_grant(node: Node, who: Principal, grant_id: str) -> Grant:
    """The grant, if ``who`` oversees grants or is on the team of the project it was issued to."""
    grant = node.governance.grant(grant_id)
    request, _ = node.governance.request(grant.request_id)
    if not who.has_any(OVERSIGHT) and not request.on_team(who.subject):
        raise PermissionDeniedError(f"grant {grant_id} was not issued to a project of yours")
    return grant


def own_grant(node: Node, who: Principal, grant_id: str) -> Grant:
    """A grant of ``who``'s own project: workspaces open only for team members."""
    grant = node.governance.grant(grant_id)
    request, _ = node.governance.request(grant.request_id)
    if not request.on_team(who.subject):
        raise PermissionDeniedError(f"grant {grant_id} was not issued to a project of yours")
    return grant


def own_person(who: Principal) -> int:
    """A patient's own pseudonymous person id."""
    if who.person_id is None:
        raise PermissionDeniedError("your account is not linked to a patient record")
    return who.person_id


def care_context(who: Principal, context: str) -> None:
    if Role.CLINICIAN in who.roles and context in who.care_contexts:
        return
    raise PermissionDeniedError(f"you do not work in care context '{context}'")


def visible_prediction(who: Principal, prediction: Prediction) -> Prediction:
    if Role.COLLEGE_MEMBER in who.roles:
        return prediction
    care_context(who, prediction.care_context)
    return prediction
