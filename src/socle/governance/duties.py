"""Separation of duties: who may review, decide and issue the grant of a request.

Only an appointed, active committee member acts for the committee, and never
on a request whose team lists them or on which they declared a conflict of
interest (on the request or on its sponsor). Pure functions; the service
passes in the members, the request and the declared conflicts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from socle.governance.committee import Member, Review
from socle.governance.errors import (
    ConflictOfInterestError,
    NotAppointedError,
    ReviewError,
    SeparationOfDutiesError,
)
from socle.governance.model import ProjectRequest


def appointed(members: Iterable[Member], who: str) -> Member | None:
    """The member whose id or sign-in name is ``who``, if appointed."""
    return next((m for m in members if who in (m.id, m.name)), None)


def committee_actor(
    members: Sequence[Member],
    actor: str,
    request_id: str,
    request: ProjectRequest,
    conflicted: set[str],
    act: str,
) -> Member:
    """The member acting as ``actor``, if they may ``act`` on this request; else an error."""
    member = appointed(members, actor)
    if member is None or not member.active:
        raise NotAppointedError(
            f"'{actor}' is not an active appointed committee member and may not {act} "
            f"request {request_id}"
        )
    bar_from(member, request_id, request, conflicted, act)
    return member


def bar_from(
    member: Member, request_id: str, request: ProjectRequest, conflicted: set[str], act: str
) -> None:
    """Refuse a member on the project's team (or who filed it), or with a declared conflict."""
    if request.is_party(member.name):
        raise SeparationOfDutiesError(
            f"member {member.id} is on the team of request {request_id} (or filed it) and may "
            f"not {act} it (separation of duties)"
        )
    if member.id in conflicted:
        raise ConflictOfInterestError(
            f"member {member.id} declared a conflict of interest on request {request_id} and "
            f"may not {act} it; they may not take part in the decision"
        )


def decision_reviewers(
    members: Sequence[Member],
    named: Sequence[str],
    round_reviews: Sequence[Review],
    request_id: str,
    request: ProjectRequest,
    conflicted: set[str],
) -> list[str]:
    """The member ids of the reviewers a decision names: appointed, reviewed this round, eligible.

    With no name given, the reviewers are the members who reviewed this round.
    """
    reviewed = {r.member_id for r in round_reviews}
    if not named:
        named = sorted(reviewed)
    ids: list[str] = []
    for who in named:
        member = appointed(members, who)
        if member is None:
            raise NotAppointedError(
                f"request {request_id}: reviewer '{who}' is not an appointed committee member"
            )
        bar_from(member, request_id, request, conflicted, "review")
        if member.id not in reviewed:
            raise ReviewError(
                f"request {request_id}: member {member.id} did not review this round and cannot "
                "be named as a reviewer of the decision"
            )
        if member.id not in ids:
            ids.append(member.id)
    return ids
