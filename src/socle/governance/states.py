"""The one state machine of an access request: its states and every allowed move."""

from __future__ import annotations

from enum import StrEnum

from socle.governance.errors import TransitionError


class RequestState(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    CHECKED = "checked"
    IN_REVIEW = "in_review"
    CHANGES_REQUESTED = "changes_requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    ACTIVE = "active"  # a grant is in force
    SUSPENDED = "suspended"  # its grant was revoked
    EXPIRED = "expired"
    CLOSED = "closed"


S = RequestState

# Every allowed move of a request; anything else is refused.
TRANSITIONS: dict[RequestState, frozenset[RequestState]] = {
    S.DRAFT: frozenset({S.SUBMITTED}),
    S.SUBMITTED: frozenset({S.CHECKED, S.REJECTED}),
    S.CHECKED: frozenset({S.IN_REVIEW}),
    S.IN_REVIEW: frozenset({S.APPROVED, S.REJECTED, S.CHANGES_REQUESTED}),
    S.CHANGES_REQUESTED: frozenset({S.SUBMITTED}),
    S.APPROVED: frozenset({S.ACTIVE}),
    S.ACTIVE: frozenset({S.SUSPENDED, S.EXPIRED, S.CLOSED}),
    # A revoked grant stays revoked: only a new round of review and decision issues another.
    S.SUSPENDED: frozenset({S.IN_REVIEW, S.CLOSED}),
    S.REJECTED: frozenset(),
    S.EXPIRED: frozenset({S.CLOSED}),
    S.CLOSED: frozenset(),
}

# What a committee decision may conclude.
OUTCOMES = TRANSITIONS[S.IN_REVIEW]


def check_move(request_id: str, current: str, target: str) -> RequestState:
    """The target state if ``current`` may move to it; else a :class:`TransitionError`."""
    state, goal = RequestState(current), RequestState(target)
    if goal not in TRANSITIONS[state]:
        allowed = ", ".join(sorted(TRANSITIONS[state])) or "none"
        raise TransitionError(
            f"request {request_id} is '{state}' and cannot become '{goal}' "
            f"(allowed next: {allowed})"
        )
    return goal
