"""Data-quality reports of the warehouse."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from socle.api import services
from socle.api.deps import Runner
from socle.api.jobs import JobPublic
from socle.api.policy import Authorized, authorize

router = APIRouter(prefix="/quality", tags=["quality"], dependencies=[Depends(authorize)])


@router.post("/reports", name="quality.report", response_model=JobPublic, status_code=202)
async def report(request: Request, user: Authorized, run: Runner) -> JobPublic:
    """Start writing the quality report; ``GET /jobs/{id}`` gives its ``QualityPublic``."""
    jobs = request.app.state.jobs
    return await run.call(
        lambda n: jobs.start("quality.report", user, lambda n: services.quality_report(n, user))
    )
