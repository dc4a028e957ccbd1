"""The college of human guarantee: members, periodic reviews, decisions on models."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from socle.api import schemas_ai as sa
from socle.api import services_ai
from socle.api.deps import Runner
from socle.api.policy import Authorized, authorize

router = APIRouter(prefix="/college", tags=["college"], dependencies=[Depends(authorize)])


@router.post(
    "/members", name="college.members.create", response_model=sa.CollegeMemberPublic,
    status_code=201,
)  # fmt: skip
async def appoint(
    body: sa.CollegeMemberCreate, user: Authorized, run: Runner
) -> sa.CollegeMemberPublic:
    """Appoint a member of the college (by their user name)."""
    return await run.serial(lambda n: services_ai.appoint(n, user, body))


@router.post(
    "/decisions", name="college.decisions.create", response_model=sa.CollegeDecisionPublic,
    status_code=201,
)  # fmt: skip
async def decide(
    body: sa.CollegeDecisionCreate, user: Authorized, run: Runner
) -> sa.CollegeDecisionPublic:
    """Deploy, keep, retrain, restrict, suspend or retire a model (appointed members only)."""
    return await run.serial(lambda n: services_ai.decide(n, user, body))


@router.post(
    "/reviews", name="college.reviews.create", response_model=sa.ReviewPublic, status_code=201
)
async def review(body: sa.ReviewCreate, user: Authorized, run: Runner) -> sa.ReviewPublic:
    """The periodic review: overrides, drift, outcomes, alerts, a random sample of cases."""
    return await run.serial(lambda n: services_ai.review(n, user, body))
