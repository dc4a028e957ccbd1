"""The committee: appointed members, declared interests, scored reviews and decisions.

Only appointed members without a conflict review and decide (``duties.py``);
an approval needs the scored reviews of the current round (``criteria.toml``).
"""

from __future__ import annotations

import uuid

from sqlalchemy import Engine, func, select

from socle.audit import AuditLog
from socle.governance.committee import Criteria, Member, Recommendation, Review, recommend
from socle.governance.duties import bar_from, committee_actor, decision_reviewers
from socle.governance.errors import NotAppointedError, NotFoundError, ReviewError, TransitionError
from socle.governance.model import Decision, Outcome
from socle.governance.requests import RequestLifecycle, now
from socle.governance.states import OUTCOMES, RequestState
from socle.governance.tables import (
    committee_decision,
    committee_member,
    committee_review,
    conflict_of_interest,
)
from socle.roles import Role


class Committee:
    """The access committee's work on requests; every act audited as ``committee_member``."""

    def __init__(
        self, engine: Engine, audit: AuditLog, requests: RequestLifecycle, criteria: Criteria
    ) -> None:
        self.engine, self.audit, self.requests, self.criteria = engine, audit, requests, criteria

    # -- members and interests -------------------------------------------------------

    def add_member(
        self, name: str, *, expertise: str, actor: str, role: Role = Role.ADMINISTRATOR
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
            self.audit.append(
                conn, actor=actor, role=role, action="committee.member_add", object=member_id
            )
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

    def member(self, member_id: str) -> Member:
        for m in self.members():
            if m.id == member_id:
                return m
        raise NotFoundError(f"no committee member '{member_id}'")

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
        self.member(member_id)
        if (request_id is None) == (sponsor is None):
            raise ReviewError("declare a conflict on exactly one of a request or a sponsor")
        if not statement.strip():
            raise ReviewError(f"member {member_id}: state the nature of the conflict of interest")
        if request_id is not None:
            self.requests.get(request_id)
        with self.engine.begin() as conn:
            conn.execute(
                conflict_of_interest.insert().values(
                    member_id=member_id, request_id=request_id, sponsor=sponsor,
                    statement=statement, declared_at=now(),
                )
            )  # fmt: skip
            self.audit.append(
                conn, actor=actor, role=Role.COMMITTEE_MEMBER, action="committee.conflict_declare",
                object=member_id,
                details={"request": request_id, "on_sponsor": sponsor is not None},
            )  # fmt: skip

    def conflicted(self, request_id: str, sponsor: str) -> set[str]:
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

    def eligible_reviewers(self, request_id: str) -> list[Member]:
        """Active members with no declared conflict of interest on this request or its sponsor."""
        request = self.requests.get(request_id).request
        conflicted = self.conflicted(request_id, request.sponsor)
        return [m for m in self.members() if m.active and m.id not in conflicted]

    # -- reviews ------------------------------------------------------------------------

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
        record = self.requests.get(request_id)
        request, member = record.request, self.member(member_id)
        if record.state != RequestState.IN_REVIEW:
            raise TransitionError(
                f"request {request_id} is '{record.state}'; reviews are taken only 'in_review'"
            )
        if not member.active:
            raise NotAppointedError(f"member {member_id} is not an active committee member")
        if actor != member.name:
            raise NotAppointedError(
                f"a review is recorded by the member who gives it: '{actor}' is not {member_id}"
            )
        bar_from(member, request_id, request, self.conflicted(request_id, request.sponsor),
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
            dict(comments), summary, now(),
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
                    scores=review.scores, comments=review.comments, summary=summary,
                    submitted_at=review.submitted_at,
                )
            )  # fmt: skip
            self.audit.append(
                conn, actor=actor, role=Role.COMMITTEE_MEMBER, action="review.submit",
                object=request_id, purpose=request.purpose,
                details={"member": member_id, "round": review.round, "scores": review.scores},
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
                r.request_id, r.member_id, r.round, dict(r.scores), dict(r.comments),
                r.summary, r.submitted_at,
            )
            for r in rows
        ]  # fmt: skip

    def recommendation(self, request_id: str) -> Recommendation:
        """What this round's scored reviews recommend, by the published rule."""
        return recommend(self.criteria, self.reviews(request_id, current_round=True))

    # -- decisions ----------------------------------------------------------------------

    def decide(
        self,
        request_id: str,
        outcome: Outcome,
        *,
        reviewers: list[str] | None = None,
        reasons: str,
        conditions: str = "",
        actor: str,
    ) -> Decision:
        """Record the committee's decision, its reasons and conditions.

        No approval without the required scored reviews of the current round;
        no member with a declared conflict of interest may decide. ``reviewers``
        defaults to the members who reviewed this round.
        """
        record = self.requests.get(request_id)
        request, state = record.request, record.state
        if outcome not in OUTCOMES or state != RequestState.IN_REVIEW:
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
        conflicted = self.conflicted(request_id, request.sponsor)
        members = self.members()
        committee_actor(members, actor, request_id, request, conflicted, "decide")
        reviewers = decision_reviewers(
            members, reviewers or [], self.reviews(request_id, current_round=True), request_id,
            request, conflicted,
        )  # fmt: skip
        if not reviewers:
            raise TransitionError(f"request {request_id}: a decision needs at least one reviewer")
        decision = Decision(
            request_id, outcome, conditions, reasons, tuple(reviewers), now(),
            recommendation.outcome,
        )  # fmt: skip
        with self.engine.begin() as conn:
            self.requests.move(
                conn, request_id, RequestState(outcome), actor, Role.COMMITTEE_MEMBER,
                decided_at=decision.decided_at,
                details={
                    "reviewers": len(reviewers), "reviews": recommendation.reviews,
                    "recommendation": recommendation.outcome,
                    "weighted_mean": recommendation.weighted_mean,
                },
            )  # fmt: skip
            conn.execute(
                committee_decision.insert().values(
                    request_id=request_id, outcome=outcome, conditions=conditions,
                    reasons=reasons, reviewers=list(reviewers), decided_at=decision.decided_at,
                    recommendation=recommendation.outcome,
                )
            )  # fmt: skip
        return decision

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
                r.request_id, r.outcome, r.conditions, r.reasons, tuple(r.reviewers),
                r.decided_at, r.recommendation,
            )
            for r in rows
        ]  # fmt: skip
