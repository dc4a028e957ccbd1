"""The secure workspace of a grant: queries, cohorts, sandboxed jobs; outputs go to the release
desk."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel

from socle.api import schemas as s
from socle.api import schemas_release as sr
from socle.api import services
from socle.api import services_release as release_services
from socle.api.auth import Principal
from socle.api.deps import Runner
from socle.api.policy import Authorized, authorize
from socle.api.runner import NodeRunner
from socle.node import Node

router = APIRouter(prefix="/workspaces", tags=["workspace"], dependencies=[Depends(authorize)])


GrantId = Annotated[str, Path(min_length=1, max_length=40)]
B = TypeVar("B", bound=BaseModel)
R = TypeVar("R")


async def _on_grant(
    run: NodeRunner,
    operation: Callable[[Node, Principal, str, B], R],
    user: Principal,
    grant_id: str,
    body: B,
) -> R:
    """What the grant's routes share: the operation on the query threads (a slow query takes
    neither a reader's thread nor the change thread; its writes are inserts)."""
    return await run.work(lambda n: operation(n, user, grant_id, body))


@router.post(
    "/{grant_id}/condition-counts", name="workspace.condition_counts",
    response_model=sr.OutputRequestPublic, status_code=201,
)  # fmt: skip
async def condition_counts(
    grant_id: GrantId, body: s.CountsCreate, user: Authorized, run: Runner
) -> sr.OutputRequestPublic:
    """Persons with a condition by age band and sex, handed to the release desk (not released)."""
    return await run.work(
        lambda n: release_services.condition_counts(
            n, user, grant_id, body.condition, list(body.dims)
        )
    )


@router.post(
    "/{grant_id}/queries", name="workspace.query", response_model=s.ResultPublic, status_code=201
)
async def query(
    grant_id: GrantId, body: s.QueryCreate, user: Authorized, run: Runner
) -> s.ResultPublic:
    """Check and run SQL on the grant's views; the rows stay in the workspace."""
    return await _on_grant(run, services.run_query, user, grant_id, body)


@router.post(
    "/{grant_id}/cohorts", name="workspace.cohort", response_model=s.ResultPublic, status_code=201
)
async def cohort(
    grant_id: GrantId, body: s.CohortCreate, user: Authorized, run: Runner
) -> s.ResultPublic:
    """Compile a cohort definition (Socle fields or OHDSI Circe JSON) and keep its members."""
    return await _on_grant(run, services.run_cohort, user, grant_id, body)


@router.post(
    "/{grant_id}/jobs", name="workspace.jobs.create", response_model=s.JobPublic, status_code=202
)
async def start_job(
    grant_id: GrantId, body: s.JobCreate, user: Authorized, run: Runner
) -> s.JobPublic:
    """Start a script in the sandbox on an extract of the grant's data; poll
    ``GET /workspace-jobs/{id}``."""
    return await _on_grant(run, services.start_job, user, grant_id, body)


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
