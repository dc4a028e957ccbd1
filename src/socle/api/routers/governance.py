"""Access requests, committee review and grants."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path

from socle.api import schemas as s
from socle.api import services
from socle.api.deps import Runner
from socle.api.policy import Authorized, authorize

router = APIRouter(tags=["governance"], dependencies=[Depends(authorize)])
RequestId = Annotated[str, Path(min_length=1, max_length=40)]
GrantId = Annotated[str, Path(min_length=1, max_length=40)]


@router.post("/requests", name="requests.create", response_model=s.RequestPublic, status_code=201)
async def create(body: s.RequestCreate, user: Authorized, run: Runner) -> s.RequestPublic:
    return await run.serial(lambda n: services.create_request(n, user, body))


@router.get("/requests/{request_id}", name="requests.get", response_model=s.RequestPublic)
async def get(request_id: RequestId, user: Authorized, run: Runner) -> s.RequestPublic:
    return await run.call(lambda n: services.get_request(n, user, request_id))


@router.post(
    "/requests/{request_id}/submission", name="requests.submit", response_model=s.SubmissionPublic
)
async def submit(request_id: RequestId, user: Authorized, run: Runner) -> s.SubmissionPublic:
    """Submit and run the automatic checks (forbidden purposes, minimisation, consent)."""
    return await run.serial(lambda n: services.submit_request(n, user, request_id))


@router.post("/requests/{request_id}/review", name="requests.review", response_model=s.StatePublic)
async def review(request_id: RequestId, user: Authorized, run: Runner) -> s.StatePublic:
    return await run.serial(lambda n: services.start_review(n, user, request_id))


@router.post(
    "/committee/members", name="committee.members.create", response_model=s.MemberPublic,
    status_code=201,
)  # fmt: skip
async def appoint(body: s.MemberCreate, user: Authorized, run: Runner) -> s.MemberPublic:
    return await run.serial(lambda n: services.appoint_member(n, user, body))


@router.post(
    "/committee/conflicts", name="committee.conflicts.create",
    response_model=s.ConflictPublic, status_code=201,
)  # fmt: skip
async def declare_conflict(
    body: s.ConflictCreate, user: Authorized, run: Runner
) -> s.ConflictPublic:
    """Declare your own conflict of interest; you are then barred from reviewing or deciding."""
    return await run.call(lambda n: services.declare_conflict(n, user, body))


@router.post(
    "/requests/{request_id}/reviews", name="requests.reviews.create",
    response_model=s.ReviewPublic, status_code=201,
)  # fmt: skip
async def score(
    request_id: RequestId, body: s.ReviewCreate, user: Authorized, run: Runner
) -> s.ReviewPublic:
    """Score every published criterion of a request under review (one review per member)."""
    return await run.serial(lambda n: services.review_request(n, user, request_id, body))


@router.post(
    "/requests/{request_id}/decision", name="requests.decide", response_model=s.StatePublic
)
async def decide(
    request_id: RequestId, body: s.DecisionCreate, user: Authorized, run: Runner
) -> s.StatePublic:
    return await run.serial(lambda n: services.decide_request(n, user, request_id, body))


@router.post(
    "/requests/{request_id}/grant", name="requests.grant", response_model=s.GrantPublic,
    status_code=201,
)  # fmt: skip
async def grant(
    request_id: RequestId, body: s.GrantCreate, user: Authorized, run: Runner
) -> s.GrantPublic:
    """Issue the grant of an approved request, scoped to exactly what was requested."""
    return await run.serial(lambda n: services.issue_grant(n, user, request_id, body))


@router.get("/grants/{grant_id}", name="grants.get", response_model=s.GrantPublic)
async def get_grant(grant_id: GrantId, user: Authorized, run: Runner) -> s.GrantPublic:
    return await run.call(lambda n: services.get_grant(n, user, grant_id))


@router.post("/grants/{grant_id}/revocation", name="grants.revoke", response_model=s.GrantPublic)
async def revoke(
    grant_id: GrantId, body: s.RevokeCreate, user: Authorized, run: Runner
) -> s.GrantPublic:
    return await run.serial(lambda n: services.revoke_grant(n, user, grant_id, body))
