"""The access procedure: request → automatic checks → committee decision → scoped grant."""

from __future__ import annotations

import uuid
from dataclasses import asdict, replace
from datetime import UTC, date, datetime
from typing import Any

import orjson
from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Date,
    Engine,
    Integer,
    String,
    Table,
    Text,
    func,
    select,
)

from socle.audit import AuditLog
from socle.catalog import Catalog
from socle.consent import Taxonomy
from socle.governance.checks import run_checks
from socle.governance.committee import (
    Criteria,
    Member,
    Recommendation,
    Review,
    load_criteria,
    recommend,
)
from socle.governance.duties import bar_from, committee_actor, decision_reviewers
from socle.governance.errors import (
    GrantError,
    NotAppointedError,
    NotFoundError,
    NotOnTeamError,
    ReviewError,
    TransitionError,
)
from socle.governance.model import (
    TRANSITIONS,
    CheckResult,
    Decision,
    DecisionTime,
    DecisionTimeSummary,
    Grant,
    Outcome,
    ProjectRequest,
    RequestedVariable,
    TeamMember,
    summarise_decision_times,
)
from socle.governance.team import TeamRoles, load_team_roles
from socle.store import metadata
from socle.warehouse import GrantScope, Population

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
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("request_id", String(40), nullable=False, index=True),
    Column("outcome", String(30), nullable=False),
    Column("conditions", Text, nullable=False),
    Column("reasons", Text, nullable=False),
    Column("reviewers", Text, nullable=False),
    Column("decided_at", String(40), nullable=False),
    Column("recommendation", String(30)),
)

committee_member = Table(
    "committee_member",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("expertise", String(200), nullable=False),
    Column("active", Boolean, nullable=False, default=True),
)

conflict_of_interest = Table(
    "conflict_of_interest",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("member_id", String(40), nullable=False, index=True),
    Column("request_id", String(40)),
    Column("sponsor", String(300)),
    Column("statement", Text, nullable=False),
    Column("declared_at", String(40), nullable=False),
)

committee_review = Table(
    "committee_review",
    metadata,
    Column("request_id", String(40), primary_key=True),
    Column("member_id", String(40), primary_key=True),
    Column("round", Integer, primary_key=True),
    Column("scores", Text, nullable=False),
    Column("comments", Text, nullable=False),
    Column("summary", Text, nullable=False),
    Column("submitted_at", String(40), nullable=False),
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
    Column("population", Text),  # JSON of the request's Population, or NULL: everyone
    Column("revoked", Boolean, nullable=False, default=False),
)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _decode_request(body: str) -> ProjectRequest:
    data: dict[str, Any] = orjson.loads(body)
    data["variables"] = tuple(RequestedVariable(**v) for v in data["variables"])
    data["team"] = tuple(TeamMember(**m) for m in data["team"])
    data["population"] = _decode_population(data.get("population"))
    data["output_types"] = tuple(data["output_types"])
    for key in ("period_start", "period_end"):
        data[key] = date.fromisoformat(data[key]) if data[key] else None
    return ProjectRequest(**data)


def _decode_population(data: dict[str, Any] | None) -> Population | None:
    return Population(**data) if data is not None else None


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

    # -- requests ---------------------------------------------------------------

    def create(self, request: ProjectRequest, *, actor: str) -> str:
        request_id = "req-" + uuid.uuid4().hex[:10]
        request = replace(request, filed_by=actor)
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
        row = self._row(request_id)
        request = _decode_request(row.body)
        results = run_checks(request, self.taxonomy, self.catalog, self.team_roles)
        # Time to decision runs from the first submission, across rounds of changes.
        first: dict[str, Any] = {} if row.submitted_at else {"submitted_at": _now()}
        with self.engine.begin() as conn:
            self._move(conn, request_id, "submitted", actor, "researcher", **first)
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
        reviewers: list[str] | None = None,
        reasons: str,
        conditions: str = "",
        actor: str,
    ) -> None:
        """Record the committee's decision, its reasons and conditions.

        No approval without the required scored reviews of the current round;
        no member with a declared conflict of interest may decide. ``reviewers``
        defaults to the members who reviewed this round.
        """
        request, state = self.request(request_id)
        if outcome not in TRANSITIONS[state]:
            raise TransitionError(
                f"request {request_id} is '{state}' and cannot become '{outcome}' "
                "(decisions are taken on requests 'in_review')"
            )
        recommendation = self.recommendation(request_id)
        if outcome == "approved" and recommendation.outcome is None:
            raise TransitionError(
                f"request {request_id} cannot be approved without review: {recommendation.reason}"
            )
        if not reasons.strip():
            raise TransitionError(f"request {request_id}: a decision must give its reasons")
        conflicted = self._conflicted(request_id, request.sponsor)
        members = self.members()
        committee_actor(members, actor, request_id, request, conflicted, "decide")
        reviewers = decision_reviewers(
            members, reviewers or [], self.reviews(request_id, current_round=True), request_id,
            request, conflicted,
        )  # fmt: skip
        if not reviewers:
            raise TransitionError(f"request {request_id}: a decision needs at least one reviewer")
        with self.engine.begin() as conn:
            self._move(
                conn, request_id, outcome, actor, "committee_member", decided_at=_now(),
                details={
                    "reviewers": len(reviewers), "reviews": recommendation.reviews,
                    "recommendation": recommendation.outcome,
                    "weighted_mean": recommendation.weighted_mean,
                },
            )  # fmt: skip
            conn.execute(
                committee_decision.insert().values(
                    request_id=request_id, outcome=outcome, conditions=conditions,
                    reasons=reasons, reviewers=orjson.dumps(reviewers).decode(),
                    decided_at=_now(), recommendation=recommendation.outcome,
                )
            )  # fmt: skip

    def decide_from_reviews(
        self, request_id: str, *, reasons: str, conditions: str = "", actor: str
    ) -> Outcome:
        """Decide as the scored reviews recommend (see ``criteria.toml``); return the outcome."""
        recommendation = self.recommendation(request_id)
        if recommendation.outcome is None:
            raise TransitionError(
                f"request {request_id} has no recommendation yet: {recommendation.reason}"
            )
        self.decide(
            request_id, recommendation.outcome, reasons=f"{reasons} ({recommendation.reason})",
            conditions=conditions, actor=actor,
        )  # fmt: skip
        return recommendation.outcome

    def decisions(self, request_id: str) -> list[Decision]:
        """Every decision on a request, oldest first (one per round of review)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(committee_decision)
                .where(committee_decision.c.request_id == request_id)
                .order_by(committee_decision.c.id)
            ).all()
        return [
            Decision(
                r.request_id, r.outcome, r.conditions, r.reasons,
                tuple(orjson.loads(r.reviewers)), r.decided_at, r.recommendation,
            )
            for r in rows
        ]  # fmt: skip

    # -- committee ------------------------------------------------------------------

    def add_member(
        self, name: str, *, expertise: str, actor: str, role: str = "administrator"
    ) -> Member:
        """Appoint a committee member (their id, not their name, goes in the audit log).

        ``role`` is the appointing actor's role (an administrator through the API).
        """
        if not name.strip() or not expertise.strip():
            raise ReviewError("a committee member needs a name and an expertise")
        member_id = "mbr-" + uuid.uuid4().hex[:8]
        with self.engine.begin() as conn:
            if conn.execute(
                select(committee_member.c.id).where(committee_member.c.name == name)
            ).first():
                raise ReviewError(f"a committee member named '{name}' already exists")
            conn.execute(
                committee_member.insert().values(
                    id=member_id, name=name, expertise=expertise, active=True
                )
            )
            self._audit(conn, actor, role, "committee.member_add", member_id, "")
        return Member(member_id, name, expertise, True)

    def ensure_member(self, name: str, *, expertise: str, actor: str) -> Member:
        """The member with this name, appointed first if new (re-runnable set-ups)."""
        for m in self.members():
            if m.name == name:
                return m
        return self.add_member(name, expertise=expertise, actor=actor)

    def members(self) -> list[Member]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(committee_member).order_by(committee_member.c.name)).all()
        return [Member(r.id, r.name, r.expertise, bool(r.active)) for r in rows]

    def declare_conflict(
        self,
        member_id: str,
        *,
        statement: str,
        actor: str,
        request_id: str | None = None,
        sponsor: str | None = None,
    ) -> None:
        """Declare a member's interest in one request, or in every request of a sponsor."""
        self._member(member_id)
        if (request_id is None) == (sponsor is None):
            raise ReviewError("declare a conflict on exactly one of a request or a sponsor")
        if not statement.strip():
            raise ReviewError(f"member {member_id}: state the nature of the conflict of interest")
        if request_id is not None:
            self._row(request_id)
        with self.engine.begin() as conn:
            conn.execute(
                conflict_of_interest.insert().values(
                    member_id=member_id, request_id=request_id, sponsor=sponsor,
                    statement=statement, declared_at=_now(),
                )
            )  # fmt: skip
            self._audit(
                conn, actor, "committee_member", "committee.conflict_declare", member_id, "",
                {"request": request_id, "on_sponsor": sponsor is not None},
            )  # fmt: skip

    def eligible_reviewers(self, request_id: str) -> list[Member]:
        """Active members with no declared conflict of interest on this request or its sponsor."""
        request, _ = self.request(request_id)
        conflicted = self._conflicted(request_id, request.sponsor)
        return [m for m in self.members() if m.active and m.id not in conflicted]

    def review(
        self,
        request_id: str,
        member_id: str,
        *,
        scores: dict[str, int],
        summary: str,
        comments: dict[str, str] | None = None,
        actor: str,
    ) -> Review:
        """Record one member's scores on every published criterion, with comments."""
        request, state = self.request(request_id)
        member = self._member(member_id)
        if state != "in_review":
            raise TransitionError(
                f"request {request_id} is '{state}'; reviews are taken only 'in_review'"
            )
        if not member.active:
            raise NotAppointedError(f"member {member_id} is not an active committee member")
        if actor != member.name:
            raise NotAppointedError(
                f"a review is recorded by the member who gives it: '{actor}' is not {member_id}"
            )
        bar_from(member, request_id, request, self._conflicted(request_id, request.sponsor),
                 "review")  # fmt: skip
        self.criteria.check_scores(request_id, scores)
        if not summary.strip():
            raise ReviewError(f"review of {request_id} by {member_id}: add a summary comment")
        comments = comments or {}
        unknown = sorted(set(comments) - set(self.criteria.criteria))
        if unknown:
            raise ReviewError(f"review of {request_id}: comments on unknown {', '.join(unknown)}")
        review = Review(
            request_id, member_id, len(self.decisions(request_id)), dict(scores),
            dict(comments), summary, _now(),
        )  # fmt: skip
        with self.engine.begin() as conn:
            if conn.execute(
                select(committee_review.c.member_id).where(
                    committee_review.c.request_id == request_id,
                    committee_review.c.member_id == member_id,
                    committee_review.c.round == review.round,
                )
            ).first():
                raise ReviewError(f"member {member_id} already reviewed request {request_id}")
            conn.execute(
                committee_review.insert().values(
                    request_id=request_id, member_id=member_id, round=review.round,
                    scores=orjson.dumps(review.scores).decode(),
                    comments=orjson.dumps(review.comments).decode(), summary=summary,
                    submitted_at=review.submitted_at,
                )
            )  # fmt: skip
            self._audit(
                conn, actor, "committee_member", "review.submit", request_id, request.purpose,
                {"member": member_id, "round": review.round, "scores": review.scores},
            )  # fmt: skip
        return review

    def reviews(self, request_id: str, *, current_round: bool = False) -> list[Review]:
        query = select(committee_review).where(committee_review.c.request_id == request_id)
        if current_round:
            query = query.where(committee_review.c.round == len(self.decisions(request_id)))
        with self.engine.connect() as conn:
            rows = conn.execute(
                query.order_by(committee_review.c.round, committee_review.c.submitted_at)
            ).all()
        return [
            Review(
                r.request_id, r.member_id, r.round, orjson.loads(r.scores),
                orjson.loads(r.comments), r.summary, r.submitted_at,
            )
            for r in rows
        ]  # fmt: skip

    def recommendation(self, request_id: str) -> Recommendation:
        """What this round's scored reviews recommend, by the published rule."""
        return recommend(self.criteria, self.reviews(request_id, current_round=True))

    # -- time to decision -------------------------------------------------------------

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

    # -- grants -------------------------------------------------------------------

    def issue_grant(self, request_id: str, *, expires: date, actor: str) -> Grant:
        """Turn an approved request into a grant scoped to exactly what was requested."""
        request, state = self.request(request_id)
        if state != "approved":
            raise TransitionError(
                f"request {request_id} is '{state}' and cannot become 'active': a grant is "
                "issued only once, from a committee decision approving the request (after a "
                "revocation, the committee must review and approve it again)"
            )
        committee_actor(
            self.members(), actor, request_id, request,
            self._conflicted(request_id, request.sponsor), "issue the grant of",
        )  # fmt: skip
        decision = len(self.decisions(request_id))
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
                    population=(
                        orjson.dumps(asdict(request.population)).decode()
                        if request.population else None
                    ),
                )
            )  # fmt: skip
            self._audit(
                conn, actor, "committee_member", "grant.issue", grant_id, request.purpose,
                {"request": request_id, "expires": expires.isoformat(), "decision": decision},
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

    def expire_due(self, *, on: date | None = None, actor: str = "socle") -> list[str]:
        """Move every active request whose grant has expired to *expired*; return their ids.

        Access already stops at expiry (:meth:`grant_scope`); this records it in
        the request's state and the audit log.
        """
        today = on or datetime.now(UTC).date()
        with self.engine.connect() as conn:
            due = conn.execute(
                select(access_grant.c.request_id)
                .join(access_request, access_request.c.id == access_grant.c.request_id)
                .where(access_request.c.state == "active", access_grant.c.expires < today)
            ).scalars()
            request_ids = sorted(set(due))
        with self.engine.begin() as conn:
            for request_id in request_ids:
                self._move(conn, request_id, "expired", actor, "system")
        return request_ids

    def close(self, request_id: str, *, actor: str, reason: str) -> None:
        """Close a project for good (from active, suspended or expired)."""
        with self.engine.begin() as conn:
            self._move(
                conn, request_id, "closed", actor, "committee_member", details={"reason": reason}
            )

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
            _decode_population(orjson.loads(row.population) if row.population else None),
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
            grant.id, grant.purpose, grant.columns, grant.period_start, grant.period_end,
            grant.population, grant.starts,
        )  # fmt: skip

    def team_member(self, grant_id: str, actor: str, output_type: str) -> TeamMember:
        """``actor``'s place on the team of the grant's project, if their role may read for
        ``output_type``; otherwise an error saying why not (nobody else may open its workspace)."""
        grant = self.grant(grant_id)
        request, _ = self.request(grant.request_id)
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

    # -- internals ----------------------------------------------------------------

    def _member(self, member_id: str) -> Member:
        for m in self.members():
            if m.id == member_id:
                return m
        raise NotFoundError(f"no committee member '{member_id}'")

    def _conflicted(self, request_id: str, sponsor: str) -> set[str]:
        """Members who declared an interest in this request or in its sponsor."""
        with self.engine.connect() as conn:
            return set(
                conn.execute(
                    select(conflict_of_interest.c.member_id).where(
                        (conflict_of_interest.c.request_id == request_id)
                        | (func.lower(conflict_of_interest.c.sponsor) == sponsor.lower())
                    )
                ).scalars()
            )

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
