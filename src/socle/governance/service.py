"""The access procedure as one service: request → checks → committee decision → scoped grant.

A thin facade over the three services that do the work, around one state
machine (:mod:`socle.governance.states`): :class:`RequestLifecycle` (filing,
checks, closing), :class:`Committee` (members, interests, reviews, decisions)
and :class:`Grants` (issue, scope, revoke, expire). New code may use those
directly (``governance.requests``, ``.committee``, ``.grants``).
"""

from __future__ import annotations

from sqlalchemy import Engine

from socle.audit import AuditLog
from socle.catalog import Catalog
from socle.consent import Taxonomy
from socle.governance.board import Committee
from socle.governance.committee import Criteria, load_criteria
from socle.governance.grants import Grants
from socle.governance.model import Grant, ProjectRequest
from socle.governance.requests import RequestLifecycle
from socle.governance.states import RequestState
from socle.governance.team import TeamRoles, load_team_roles


class Governance:
    """Service API of the access procedure; every transition is checked and audited."""

    def __init__(
        self,
        engine: Engine,
        audit: AuditLog,
        taxonomy: Taxonomy,
        catalog: Catalog,
        criteria: Criteria | None = None,
        team_roles: TeamRoles | None = None,
    ):
        self.engine, self.audit, self.taxonomy, self.catalog = engine, audit, taxonomy, catalog
        self.criteria = criteria or load_criteria()
        self.team_roles = team_roles or load_team_roles()
        self.requests = RequestLifecycle(engine, audit, taxonomy, catalog, self.team_roles)
        self.committee = Committee(engine, audit, self.requests, self.criteria)
        self.grants = Grants(engine, audit, self.requests, self.committee, self.team_roles)
        # The request lifecycle
        self.create = self.requests.create
        self.record = self.requests.get
        self.projects_of = self.requests.projects_of
        self.submit = self.requests.submit
        self.start_review = self.requests.start_review
        self.close = self.requests.close
        self.checks = self.requests.checks
        self.decision_times = self.requests.decision_times
        self.decision_time_summary = self.requests.decision_time_summary
        # The committee
        self.add_member = self.committee.add_member
        self.ensure_member = self.committee.ensure_member
        self.members = self.committee.members
        self.declare_conflict = self.committee.declare_conflict
        self.eligible_reviewers = self.committee.eligible_reviewers
        self.review = self.committee.review
        self.reviews = self.committee.reviews
        self.recommendation = self.committee.recommendation
        self.decide = self.committee.decide
        self.decide_from_reviews = self.committee.decide_from_reviews
        self.decisions = self.committee.decisions
        # Grants
        self.issue_grant = self.grants.issue
        self.revoke_grant = self.grants.revoke
        self.expire_due = self.grants.expire_due
        self.grant_scope = self.grants.scope
        self.team_member = self.grants.team_member
        self.grants_of_member = self.grants.of_member
        self.grants_of_request = self.grants.of_request

    def request(self, request_id: str) -> tuple[ProjectRequest, RequestState]:
        """The request and its current state (see :meth:`record` for its times too)."""
        record = self.requests.get(request_id)
        return record.request, record.state

    def grant(self, grant_id: str) -> Grant:
        return self.grants.get(grant_id)
