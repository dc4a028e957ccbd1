"""Grants: issued from an approving decision, scoped to what was requested, revoked, expired."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import UTC, date, datetime

from sqlalchemy import Engine, select

from socle.audit import AuditLog
from socle.governance.board import Committee
from socle.governance.duties import committee_actor
from socle.governance.errors import GrantError, NotFoundError, NotOnTeamError, TransitionError
from socle.governance.model import Grant, TeamMember
from socle.governance.requests import RequestLifecycle, decode_population
from socle.governance.states import RequestState
from socle.governance.tables import access_grant, access_request
from socle.governance.team import TeamRoles
from socle.roles import Role
from socle.warehouse import GrantScope


class Grants:
    """What an approved project may read, for how long, and who on its team may read it."""

    def __init__(
        self,
        engine: Engine,
        audit: AuditLog,
        requests: RequestLifecycle,
        committee: Committee,
        team_roles: TeamRoles,
    ) -> None:
        self.engine, self.audit, self.requests = engine, audit, requests
        self.committee, self.team_roles = committee, team_roles

    def issue(
        self,
        request_id: str,
        *,
        expires: date,
        actor: str,
        dp_epsilon: float = 0.0,
        dp_delta: float = 0.0,
    ) -> Grant:
        """Turn an approved request into a grant scoped to exactly what was requested.

        ``dp_epsilon``/``dp_delta``: the privacy budget of the project's
        differentially private releases (none by default).
        """
        if dp_epsilon < 0 or not 0 <= dp_delta < 1:
            raise GrantError("a privacy budget needs epsilon >= 0 and 0 <= delta < 1")
        record = self.requests.get(request_id)
        request = record.request
        if record.state != RequestState.APPROVED:
            raise TransitionError(
                f"request {request_id} is '{record.state}' and cannot become 'active': a grant is "
                "issued only once, from a committee decision approving the request (after a "
                "revocation, the committee must review and approve it again)"
            )
        committee_actor(
            self.committee.members(), actor, request_id, request,
            self.committee.conflicted(request_id, request.sponsor), "issue the grant of",
        )  # fmt: skip
        decision = len(self.committee.decisions(request_id))
        columns: dict[str, list[str]] = {}
        for v in request.variables:
            columns.setdefault(v.table, []).append(v.column)
        grant_id = "grant-" + uuid.uuid4().hex[:10]
        today = datetime.now(UTC).date()
        if expires <= today:
            raise GrantError(f"grant expiry {expires} must be after today ({today})")
        with self.engine.begin() as conn:
            self.requests.move(conn, request_id, RequestState.ACTIVE, actor, Role.COMMITTEE_MEMBER)
            conn.execute(
                access_grant.insert().values(
                    id=grant_id, request_id=request_id, purpose=request.purpose,
                    columns=columns, output_types=list(request.output_types),
                    starts=today, expires=expires, period_start=request.period_start,
                    period_end=request.period_end, revoked=False,
                    dp_epsilon=dp_epsilon, dp_delta=dp_delta,
                    population=asdict(request.population) if request.population else None,
                )
            )  # fmt: skip
            self.audit.append(
                conn, actor=actor, role=Role.COMMITTEE_MEMBER, action="grant.issue",
                object=grant_id, purpose=request.purpose,
                details={"request": request_id, "expires": expires.isoformat(),
                         "decision": decision, "dp_epsilon": dp_epsilon, "dp_delta": dp_delta},
            )  # fmt: skip
        return self.get(grant_id)

    def revoke(self, grant_id: str, *, actor: str, reason: str) -> None:
        grant = self.get(grant_id)
        with self.engine.begin() as conn:
            conn.execute(
                access_grant.update().where(access_grant.c.id == grant_id).values(revoked=True)
            )
            self.requests.move(
                conn, grant.request_id, RequestState.SUSPENDED, actor, Role.COMMITTEE_MEMBER
            )
            self.audit.append(
                conn, actor=actor, role=Role.COMMITTEE_MEMBER, action="grant.revoke",
                object=grant_id, purpose=grant.purpose, details={"reason": reason},
            )  # fmt: skip

    def expire_due(self, *, on: date | None = None, actor: str = "socle") -> list[str]:
        """Move every active request whose grant has expired to *expired*; return their ids.

        Access already stops at expiry (:meth:`scope`); this records it in the
        request's state and the audit log (scheduled by the server, and
        ``socle request expire``).
        """
        today = on or datetime.now(UTC).date()
        with self.engine.connect() as conn:
            due = conn.execute(
                select(access_grant.c.request_id)
                .join(access_request, access_request.c.id == access_grant.c.request_id)
                .where(
                    access_request.c.state == RequestState.ACTIVE, access_grant.c.expires < today
                )
            ).scalars()
            request_ids = sorted(set(due))
        with self.engine.begin() as conn:
            for request_id in request_ids:
                self.requests.move(conn, request_id, RequestState.EXPIRED, actor, Role.SYSTEM)
        return request_ids

    def get(self, grant_id: str) -> Grant:
        with self.engine.connect() as conn:
            row = conn.execute(select(access_grant).where(access_grant.c.id == grant_id)).first()
        if row is None:
            raise NotFoundError(f"no grant '{grant_id}'")
        return Grant(
            row.id, row.request_id, row.purpose,
            {t: tuple(c) for t, c in row.columns.items()}, tuple(row.output_types),
            row.starts, row.expires, bool(row.revoked), row.period_start, row.period_end,
            decode_population(row.population), float(row.dp_epsilon or 0.0),
            float(row.dp_delta or 0.0),
        )  # fmt: skip

    def of_request(self, request_id: str) -> list[Grant]:
        """The grants issued from one request, oldest first (a re-approval issues another)."""
        with self.engine.connect() as conn:
            ids = conn.execute(
                select(access_grant.c.id)
                .where(access_grant.c.request_id == request_id)
                .order_by(access_grant.c.starts, access_grant.c.id)
            ).scalars().all()  # fmt: skip
        return [self.get(i) for i in ids]

    def of_member(self, name: str) -> list[Grant]:
        """The grants of every project whose team lists ``name`` (a researcher's own grants)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(access_grant.c.id, access_request.c.body)
                .join(access_request, access_request.c.id == access_grant.c.request_id)
                .order_by(access_grant.c.starts, access_grant.c.id)
            ).all()  # fmt: skip
        return [self.get(r.id) for r in rows if any(m.get("name") == name for m in r.body["team"])]

    def scope(self, grant_id: str, on: date, output_type: str) -> GrantScope:
        """What the grant allows today, or an error saying why it allows nothing."""
        grant = self.get(grant_id)
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
            grant.id, grant.purpose, grant.columns, grant.period_start, grant.period_end,
            grant.population, grant.starts,
        )  # fmt: skip

    def team_member(self, grant_id: str, actor: str, output_type: str) -> TeamMember:
        """``actor``'s place on the team of the grant's project, if their role may read for
        ``output_type``; otherwise an error saying why not (nobody else may open its workspace)."""
        grant = self.get(grant_id)
        request = self.requests.get(grant.request_id).request
        member = next((m for m in request.team if m.name == actor), None)
        if member is None:
            raise NotOnTeamError(
                f"{actor} is not on the team of the project granted {grant_id}; only its "
                "team may open its workspace"
            )
        allowed = self.team_roles.workspace.get(output_type, frozenset())
        if member.role not in allowed:
            raise NotOnTeamError(
                f"{actor} is the project's {member.role}; {output_type} work under {grant_id} "
                f"is open to {', '.join(sorted(allowed)) or 'no team role'}"
            )
        return member
