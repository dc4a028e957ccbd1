"""The secure workspace of a grant: queries, cohorts, sandboxed jobs, checked releases."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path

from socle.api import schemas as s
from socle.api import services
from socle.api.deps import Runner
from socle.api.policy import Authorized, authorize

router = APIRouter(prefix="/workspaces", tags=["workspace"], dependencies=[Depends(authorize)])


@router.post(
    "/{grant_id}/condition-counts", name="workspace.condition_counts",
    response_model=s.ReleasePublic, status_code=201,
)  # fmt: skip
async def condition_counts(
    grant_id: Annotated[str, Path(min_length=1, max_length=40)],
    body: s.CountsCreate,
    user: Authorized,
    run: Runner,
) -> s.ReleasePublic:
    """Persons with a condition by age band and sex; small cells suppressed, others rounded."""
    return await run.call(lambda n: services.condition_counts(n, user, grant_id, body))


GrantId = Annotated[str, Path(min_length=1, max_length=40)]


@router.post(
    "/{grant_id}/queries", name="workspace.query", response_model=s.ResultPublic, status_code=201
)
async def query(
    grant_id: GrantId, body: s.QueryCreate, user: Authorized, run: Runner
) -> s.ResultPublic:
    """Check and run SQL on the grant's views; the rows stay in the workspace."""
    return await run.serial(lambda n: services.run_query(n, user, grant_id, body))


@router.post(
    "/{grant_id}/cohorts", name="workspace.cohort", response_model=s.ResultPublic, status_code=201
)
async def cohort(
    grant_id: GrantId, body: s.CohortCreate, user: Authorized, run: Runner
) -> s.ResultPublic:
    """Compile a cohort definition (Socle fields or OHDSI Circe JSON) and keep its members."""
    return await run.serial(lambda n: services.run_cohort(n, user, grant_id, body))


@router.post(
    "/{grant_id}/jobs", name="workspace.jobs.create", response_model=s.JobPublic, status_code=202
)
async def start_job(
    grant_id: GrantId, body: s.JobCreate, user: Authorized, run: Runner
) -> s.JobPublic:
    """Start a script in the sandbox on an extract of the grant's data; poll
    ``GET /workspace-jobs/{id}``."""
    return await run.serial(lambda n: services.start_job(n, user, grant_id, body))


jobs_router = APIRouter(
    prefix="/workspace-jobs", tags=["workspace"], dependencies=[Depends(authorize)]
)
JobId = Annotated[str, Path(min_length=1, max_length=40)]


@jobs_router.get("/{job_id}", name="workspace.jobs.get", response_model=s.JobPublic)
async def get_job(job_id: JobId, user: Authorized, run: Runner) -> s.JobPublic:
    """A job's state, code and extract hashes, and its outputs' hashes."""
    return await run.call(lambda n: services.get_job(n, user, job_id))


@jobs_router.get("/{job_id}/logs", name="workspace.jobs.logs", response_model=s.JobLogPublic)
async def job_logs(job_id: JobId, user: Authorized, run: Runner) -> s.JobLogPublic:
    """The framework's log; the script's own output leaves only through an output request."""
    return await run.call(lambda n: services.job_logs(n, user, job_id))


@jobs_router.post("/{job_id}/cancel", name="workspace.jobs.cancel", response_model=s.JobPublic)
async def cancel_job(job_id: JobId, user: Authorized, run: Runner) -> s.JobPublic:
    return await run.serial(lambda n: services.cancel_job(n, user, job_id))
