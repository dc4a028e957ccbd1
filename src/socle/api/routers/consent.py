"""Consent: the steward records and checks; a patient sees and changes their own."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query

from socle.api import schemas as s
from socle.api import services
from socle.api.deps import Limit, Offset, Runner
from socle.api.policy import Authorized, authorize

router = APIRouter(prefix="/consent", tags=["consent"], dependencies=[Depends(authorize)])
PersonId = Annotated[int, Path(ge=0, le=2**63 - 1)]


@router.get("/purposes", name="consent.purposes", response_model=list[s.PurposePublic])
async def purposes(user: Authorized, run: Runner) -> list[s.PurposePublic]:
    """The published purposes and their rule (opt-out data donation, or opt-in)."""
    return await run.call(services.purposes)


@router.post("/events", name="consent.record", response_model=s.RecordedPublic, status_code=201)
async def record(body: s.ConsentBatchCreate, user: Authorized, run: Runner) -> s.RecordedPublic:
    """Append consent events, all or none."""
    return await run.serial(lambda n: services.record_consent(n, user, body))


@router.get("/check", name="consent.check", response_model=s.ConsentCheckPublic)
async def check(
    user: Authorized,
    run: Runner,
    person_id: Annotated[int, Query(ge=0, le=2**63 - 1)],
    purpose: Annotated[str, Query(min_length=1, max_length=60)],
    on: Annotated[date | None, Query(description="Default: today")] = None,
) -> s.ConsentCheckPublic:
    """Whether a person's data may be used for a purpose on a date."""
    return await run.call(lambda n: services.check_consent(n, person_id, purpose, on))


@router.get("/persons/{person_id}", name="consent.person", response_model=s.ConsentViewPublic)
async def person(
    person_id: PersonId, user: Authorized, run: Runner, limit: Limit = 50, offset: Offset = 0
) -> s.ConsentViewPublic:
    return await run.call(lambda n: services.consent_view(n, person_id, limit, offset))


@router.get("/me", name="consent.mine", response_model=s.ConsentViewPublic)
async def mine(
    user: Authorized, run: Runner, limit: Limit = 50, offset: Offset = 0
) -> s.ConsentViewPublic:
    """The signed-in patient's choices and history."""
    return await run.call(lambda n: services.my_consent(n, user, limit, offset))


@router.post("/me/choices", name="consent.my_choice", response_model=s.ConsentViewPublic)
async def my_choice(
    body: s.ConsentChoiceCreate, user: Authorized, run: Runner
) -> s.ConsentViewPublic:
    """The signed-in patient objects, opts in, or withdraws, effective today."""
    return await run.serial(lambda n: services.my_choice(n, user, body))


@router.get("/me/uses", name="consent.my_uses", response_model=s.Page[s.ProjectUsePublic])
async def my_uses(user: Authorized, run: Runner, limit: Limit = 50, offset: Offset = 0) -> Any:
    """Transparency: the approved projects that used the signed-in patient's data."""
    return await run.call(lambda n: services.my_uses(n, user, limit, offset))
