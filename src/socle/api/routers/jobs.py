"""The state of background jobs (loads, quality reports, training) started by the caller."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request

from socle.api.deps import Runner
from socle.api.jobs import JobPublic
from socle.api.policy import Authorized, authorize

router = APIRouter(prefix="/jobs", tags=["jobs"], dependencies=[Depends(authorize)])


@router.get("/{job_id}", name="jobs.get", response_model=JobPublic)
async def get(
    job_id: Annotated[str, Path(min_length=1, max_length=40)],
    request: Request,
    user: Authorized,
    run: Runner,
) -> JobPublic:
    """A job you started: queued, running, succeeded (with its result) or failed (with why)."""
    jobs = request.app.state.jobs
    return await run.call(lambda n: jobs.get(job_id, user))
