"""The request lifecycle: filing, automatic checks, review start, closing; every move audited.

Every change of state goes through :meth:`RequestLifecycle.move`, which checks
the move against the state machine (:mod:`socle.governance.states`) and updates
only if the request is still in the state it read, so two workers cannot both
move it.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, replace
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, select

from socle.audit import AuditLog
from socle.catalog import Catalog
from socle.consent import Taxonomy
from socle.governance.checks import run_checks
from socle.governance.errors import NotFoundError, TransitionError
from socle.governance.model import (
    CheckResult,
    DecisionTime,
    DecisionTimeSummary,
    ProjectRequest,
    RequestedVariable,
    RequestRecord,
    TeamMember,
    summarise_decision_times,
)
from socle.governance.states import RequestState, check_move
from socle.governance.tables import access_request
from socle.governance.team import TeamRoles
from socle.roles import Role
from socle.warehouse import Population


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def decode_population(data: dict[str, Any] | None) -> Population | None:
    return Population(**data) if data is not None else None


def _decode_request(body: dict[str, Any]) -> ProjectRequest:
    data = dict(body)
    data["variables"] = tuple(RequestedVariable(**v) for v in data["variables"])
    data["team"] = tuple(TeamMember(**m) for m in data["team"])
    data["population"] = decode_population(data.get("population"))
    data["output_types"] = tuple(data["output_types"])
    for key in ("period_start", "period_end"):
        data[key] = date.fromisoformat(data[key]) if data[key] else None
    return ProjectRequest(**data)


class RequestLifecycle:
    """Requests and their states: the researcher's side and the system's checks."""

    def __init__(
        self,
        engine: Engine,
        audit: AuditLog,
        taxonomy: Taxonomy,
        catalog: Catalog,
        team_roles: TeamRoles,
    ) -> None:
        self.engine, self.audit, self.taxonomy, self.catalog = engine, audit, taxonomy, catalog
        self.team_roles = team_roles

    def create(self, request: ProjectRequest, *, actor: str) -> str:
        request_id = "req-" + uuid.uuid4().hex[:10]
        request = replace(request, filed_by=actor)
        with self.engine.begin() as conn:
            conn.execute(
                access_request.insert().values(
                    id=request_id, state=RequestState.DRAFT, body=asdict(request), checks=[],
                    created_at=now(),
                )
            )  # fmt: skip
            self.audit.append(
                conn, actor=actor, role=Role.RESEARCHER, action="request.create",
                object=request_id, purpose=request.purpose,
            )  # fmt: skip
        return request_id

    def get(self, request_id: str) -> RequestRecord:
        """The request as filed, its state and its times."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(access_request).where(access_request.c.id == request_id)
            ).first()
        if row is None:
            raise NotFoundError(f"no request '{request_id}'")
        return RequestRecord(
            row.id, _decode_request(row.body), RequestState(row.state), row.created_at,
            row.submitted_at, row.decided_at,
        )  # fmt: skip

    def projects_of(self, name: str) -> list[str]:
        """The requests whose team includes ``name`` (a project's team lives in its body)."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(access_request.c.id, access_request.c.body)).all()
        return [r.id for r in rows if any(m["name"] == name for m in r.body["team"])]

    def checks(self, request_id: str) -> list[CheckResult] | None:
        """The automatic checks' results at the latest submission (``None``: never checked)."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(access_request.c.checks, access_request.c.submitted_at).where(
                    access_request.c.id == request_id
                )
            ).first()
        if row is None:
            raise NotFoundError(f"no request '{request_id}'")
        if row.submitted_at is None and not row.checks:
            return None
        return [CheckResult(**c) for c in row.checks or []]

    def submit(self, request_id: str, *, actor: str) -> list[CheckResult]:
        """Submit and run the automatic checks: passing moves to *checked*, else *rejected*."""
        record = self.get(request_id)
        results = run_checks(record.request, self.taxonomy, self.catalog, self.team_roles)
        # Time to decision runs from the first submission, across rounds of changes.
        first: dict[str, Any] = {} if record.submitted_at else {"submitted_at": now()}
        with self.engine.begin() as conn:
            self.move(conn, request_id, RequestState.SUBMITTED, actor, Role.RESEARCHER, **first)
            passed = all(r.passed for r in results)
            self.move(
                conn, request_id, RequestState.CHECKED if passed else RequestState.REJECTED,
                "socle", Role.SYSTEM, checks=[asdict(r) for r in results],
                details={"failed": [r.name for r in results if not r.passed]},
            )  # fmt: skip
        return results

    def start_review(self, request_id: str, *, actor: str) -> None:
        with self.engine.begin() as conn:
            self.move(conn, request_id, RequestState.IN_REVIEW, actor, Role.COMMITTEE_MEMBER)

    def close(self, request_id: str, *, actor: str, reason: str) -> None:
        """Close a project for good (from active, suspended or expired)."""
        with self.engine.begin() as conn:
            self.move(
                conn, request_id, RequestState.CLOSED, actor, Role.COMMITTEE_MEMBER,
                details={"reason": reason},
            )  # fmt: skip

    def decision_times(self) -> list[DecisionTime]:
        """Per submitted request: first submission, latest decision, and the time between."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(
                    access_request.c.id, access_request.c.state,
                    access_request.c.submitted_at, access_request.c.decided_at,
                )
                .where(access_request.c.submitted_at.is_not(None))
                .order_by(access_request.c.submitted_at)
            ).all()  # fmt: skip
        times = []
        for r in rows:
            seconds = None
            if r.decided_at:
                delta = datetime.fromisoformat(r.decided_at) - datetime.fromisoformat(
                    r.submitted_at
                )
                seconds = delta.total_seconds()
            times.append(DecisionTime(r.id, r.state, r.submitted_at, r.decided_at, seconds))
        return times

    def decision_time_summary(self) -> DecisionTimeSummary:
        """Median and percentiles of submission-to-decision time over decided requests."""
        return summarise_decision_times(self.decision_times())

    def move(
        self,
        conn: Connection,
        request_id: str,
        target: RequestState,
        actor: str,
        role: str,
        details: dict[str, Any] | None = None,
        **values: Any,
    ) -> None:
        """Move the request to ``target`` in ``conn``'s transaction, audited with the real actor.

        The update applies only if the request is still in the state read here,
        so a concurrent move (another worker) is refused instead of overwritten.
        """
        row = conn.execute(
            select(access_request.c.state, access_request.c.body).where(
                access_request.c.id == request_id
            )
        ).first()
        if row is None:
            raise NotFoundError(f"no request '{request_id}'")
        goal = check_move(request_id, row.state, target)
        moved = conn.execute(
            access_request.update()
            .where(access_request.c.id == request_id, access_request.c.state == row.state)
            .values(state=goal, **values)
        )
        if moved.rowcount != 1:
            raise TransitionError(
                f"request {request_id} changed state while it was being moved to '{goal}'; "
                "read it again and retry"
            )
        self.audit.append(
            conn, actor=actor, role=role, action=f"request.{goal}", object=request_id,
            purpose=row.body["purpose"], details={"from": row.state, **(details or {})},
        )  # fmt: skip
