"""The audit log: events (paginated, filtered) and end-to-end verification."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query

from socle.api import schemas as s
from socle.api import services
from socle.api.deps import Limit, Offset, Runner
from socle.api.policy import Authorized, authorize

router = APIRouter(prefix="/audit", tags=["audit"], dependencies=[Depends(authorize)])


@router.get("/events", name="audit.events", response_model=s.Page[s.AuditEventPublic])
async def events(
    user: Authorized,
    run: Runner,
    limit: Limit = 50,
    offset: Offset = 0,
    action: Annotated[str | None, Query(max_length=120)] = None,
    actor: Annotated[str | None, Query(max_length=200)] = None,
) -> Any:
    return await run.call(lambda n: services.audit_events(n, action, actor, limit, offset))


@router.get("/verification", name="audit.verify", response_model=s.VerificationPublic)
async def verify(user: Authorized, run: Runner) -> s.VerificationPublic:
    """Verify the hash chain end to end."""
    return await run.call(services.verify_audit)


@router.get("/trace/{release_id}", name="audit.trace", response_model=list[s.TraceLinkPublic])
async def trace(
    release_id: Annotated[str, Path(min_length=1, max_length=40)], user: Authorized, run: Runner
) -> list[s.TraceLinkPublic]:
    """The permit chain of a release back to the committee's decision."""
    return await run.call(lambda n: services.trace_release(n, release_id))
