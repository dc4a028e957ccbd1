"""The access procedure: request → automatic checks → committee decision → scoped grant."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import UTC, date, datetime
from typing import Any

import orjson
from sqlalchemy import Boolean, Column, Connection, Date, Engine, String, Table, Text, select

from socle.audit import AuditLog
from socle.catalog import Catalog
from socle.consent import Taxonomy
from socle.governance.checks import run_checks
from socle.governance.errors import GrantError, NotFoundError, TransitionError
from socle.governance.model import (
    TRANSITIONS,
    CheckResult,
    Grant,
    Outcome,
    ProjectRequest,
    RequestedVariable,
)
from socle.store import metadata
from socle.warehouse import GrantScope

access_request = Table(
    "access_request",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("state", String(30), nullable=False),
    Column("body", Text, nullable=False),
    Column("checks", Text, nullable=False, default="[]"),
    Column("created_at", String(40), nullable=False),
    Column("submitted_at", String(40)),
    Column("decided_at", String(40)),
)

committee_decision = Table(
    "committee_decision",
    metadata,
    Column("request_id", String(40), primary_key=True),
    Column("outcome", String(30), nullable=False),
    Column("conditions", Text, nullable=False),
    Column("reasons", Text, nullable=False),
    Column("reviewers", Text, nullable=False),
    Column("decided_at", String(40), nullable=False),
)

access_grant = Table(
    "access_grant",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("request_id", String(40), nullable=False),
    Column("purpose", String(60), nullable=False),
    Column("columns", Text, nullable=False),
    Column("output_types", Text, nullable=False),
    Column("starts", Date, nullable=False),
    Column("expires", Date, nullable=False),
    Column("period_start", Date),
    Column("period_end", Date),
    Column("revoked", Boolean, nullable=False, default=False),
)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _decode_request(body: str) -> ProjectRequest:
    data: dict[str, Any] = orjson.loads(body)
    data["variables"] = tuple(RequestedVariable(**v) for v in data["variables"])
    data["team"] = tuple(data["team"])
    data["output_types"] = tuple(data["output_types"])
    for key in ("period_start", "period_end"):
        data[key] = date.fromisoformat(data[key]) if data[key] else None
    return ProjectRequest(**data)


class Governance:
    """Service API of the access procedure; every transition is checked and audited."""

    def __init__(self, engine: Engine, audit: AuditLog, taxonomy: Taxonomy, catalog: Catalog):
        self.engine, self.audit, self.taxonomy, self.catalog = engine, audit, taxonomy, catalog

    # -- requests ---------------------------------------------------------------

    def create(self, request: ProjectRequest, *, actor: str) -> str:
        request_id = "req-" + uuid.uuid4().hex[:10]
        with self.engine.begin() as conn:
            conn.execute(
                access_request.insert().values(
                    id=request_id, state="draft", body=orjson.dumps(asdict(request)).decode(),
                    checks="[]", created_at=_now(),
                )
            )  # fmt: skip
            self._audit(conn, actor, "researcher", "request.create", request_id, request.purpose)
        return request_id

    def request(self, request_id: str) -> tuple[ProjectRequest, str]:
        """The request and its current state."""
        row = self._row(request_id)
        return _decode_request(row.body), row.state

    def submit(self, request_id: str, *, actor: str) -> list[CheckResult]:
        """Submit and run the automatic checks: passing moves to *checked*, else *rejected*."""
        request, _ = self.request(request_id)
        results = run_checks(request, self.taxonomy, self.catalog)
        with self.engine.begin() as conn:
            self._move(conn, request_id, "submitted", actor, "researcher", submitted_at=_now())
            outcome = "checked" if all(r.passed for r in results) else "rejected"
            self._move(
                conn, request_id, outcome, "socle", "system",
                checks=orjson.dumps([asdict(r) for r in results]).decode(),
                details={"failed": [r.name for r in results if not r.passed]},
            )  # fmt: skip
        return results

    def start_review(self, request_id: str, *, actor: str) -> None:
        with self.engine.begin() as conn:
            self._move(conn, request_id, "in_review", actor, "committee_member")

    def decide(
        self,
        request_id: str,
        outcome: Outcome,
        *,
        reviewers: list[str],
        reasons: str,
        conditions: str = "",
        actor: str,
    ) -> None:
        """Record the committee's decision, its reasons and conditions."""
        if not reviewers:
            raise TransitionError(f"request {request_id}: a decision needs at least one reviewer")
        with self.engine.begin() as conn:
            self._move(
                conn, request_id, outcome, actor, "committee_member", decided_at=_now(),
                details={"reviewers": len(reviewers)},
            )  # fmt: skip
            conn.execute(
                committee_decision.insert().values(
                    request_id=request_id, outcome=outcome, conditions=conditions,
                    reasons=reasons, reviewers=orjson.dumps(reviewers).decode(),
                    decided_at=_now(),
                )
            )  # fmt: skip

    # -- grants -------------------------------------------------------------------

    def issue_grant(self, request_id: str, *, expires: date, actor: str) -> Grant:
        """Turn an approved request into a grant scoped to exactly what was requested."""
        request, _ = self.request(request_id)
        columns: dict[str, list[str]] = {}
        for v in request.variables:
            columns.setdefault(v.table, []).append(v.column)
        grant_id = "grant-" + uuid.uuid4().hex[:10]
        today = datetime.now(UTC).date()
        if expires <= today:
            raise GrantError(f"grant expiry {expires} must be after today ({today})")
        with self.engine.begin() as conn:
            self._move(conn, request_id, "active", actor, "committee_member")
            conn.execute(
                access_grant.insert().values(
                    id=grant_id, request_id=request_id, purpose=request.purpose,
                    columns=orjson.dumps(columns).decode(),
                    output_types=orjson.dumps(request.output_types).decode(),
                    starts=today, expires=expires, period_start=request.period_start,
                    period_end=request.period_end, revoked=False,
                )
            )  # fmt: skip
            self._audit(
                conn, actor, "committee_member", "grant.issue", grant_id, request.purpose,
                {"request": request_id, "expires": expires.isoformat()},
            )  # fmt: skip
        return self.grant(grant_id)

    def revoke_grant(self, grant_id: str, *, actor: str, reason: str) -> None:
        grant = self.grant(grant_id)
        with self.engine.begin() as conn:
            conn.execute(
                access_grant.update().where(access_grant.c.id == grant_id).values(revoked=True)
            )
            self._move(conn, grant.request_id, "suspended", actor, "committee_member")
            self._audit(
                conn, actor, "committee_member", "grant.revoke", grant_id, grant.purpose,
                {"reason": reason},
            )  # fmt: skip

    def grant(self, grant_id: str) -> Grant:
        with self.engine.connect() as conn:
            row = conn.execute(select(access_grant).where(access_grant.c.id == grant_id)).first()
        if row is None:
            raise NotFoundError(f"no grant '{grant_id}'")
        return Grant(
            row.id, row.request_id, row.purpose,
            {t: tuple(c) for t, c in orjson.loads(row.columns).items()},
            tuple(orjson.loads(row.output_types)), row.starts, row.expires, bool(row.revoked),
            row.period_start, row.period_end,
        )  # fmt: skip

    def grant_scope(self, grant_id: str, on: date, output_type: str) -> GrantScope:
        """What the grant allows today, or an error saying why it allows nothing."""
        grant = self.grant(grant_id)
        if grant.revoked:
            raise GrantError(f"grant {grant_id} was revoked; all access under it has stopped")
        if on < grant.starts:
            raise GrantError(f"grant {grant_id} starts on {grant.starts}")
        if on > grant.expires:
            raise GrantError(f"grant {grant_id} expired on {grant.expires}")
        if output_type not in grant.output_types:
            raise GrantError(
                f"grant {grant_id} allows {', '.join(grant.output_types)}, not {output_type}"
            )
        return GrantScope(
            grant.id, grant.purpose, grant.columns, grant.period_start, grant.period_end
        )

    # -- internals ----------------------------------------------------------------

    def _row(self, request_id: str) -> Any:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(access_request).where(access_request.c.id == request_id)
            ).first()
        if row is None:
            raise NotFoundError(f"no request '{request_id}'")
        return row

    def _move(
        self,
        conn: Connection,
        request_id: str,
        target: str,
        actor: str,
        role: str,
        details: dict[str, Any] | None = None,
        **values: Any,
    ) -> None:
        row = conn.execute(
            select(access_request.c.state, access_request.c.body).where(
                access_request.c.id == request_id
            )
        ).first()
        if row is None:
            raise NotFoundError(f"no request '{request_id}'")
        if target not in TRANSITIONS[row.state]:
            allowed = ", ".join(sorted(TRANSITIONS[row.state])) or "none"
            raise TransitionError(
                f"request {request_id} is '{row.state}' and cannot become '{target}' "
                f"(allowed next: {allowed})"
            )
        conn.execute(
            access_request.update()
            .where(access_request.c.id == request_id)
            .values(state=target, **values)
        )
        purpose = orjson.loads(row.body)["purpose"]
        self._audit(
            conn, actor, role, f"request.{target}", request_id, purpose,
            {"from": row.state, **(details or {})},
        )  # fmt: skip

    def _audit(
        self,
        conn: Connection,
        actor: str,
        role: str,
        action: str,
        obj: str,
        purpose: str,
        details: dict[str, Any] | None = None,
    ) -> None:
        self.audit.append(
            conn, actor=actor, role=role, action=action, object=obj, purpose=purpose,
            details=details,
        )  # fmt: skip
