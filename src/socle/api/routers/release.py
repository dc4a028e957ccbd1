"""The release desk: check reports, output requests, checkers' reviews, released files, DP."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import FileResponse

from socle.api import schemas_release as s
from socle.api import services_release as services
from socle.api.deps import Limit, Offset, Runner
from socle.api.policy import Authorized, authorize
from socle.api.schemas import Page

router = APIRouter(tags=["release"], dependencies=[Depends(authorize)])
Id = Annotated[str, Path(min_length=1, max_length=40)]
FileName = Annotated[str, Path(min_length=1, max_length=80, pattern=r"^[\w.-]+$")]


@router.post(
    "/workspaces/{grant_id}/condition-counts/check", name="workspace.condition_counts_check",
    response_model=s.CheckReportPublic,
)  # fmt: skip
async def check_counts(
    grant_id: Id, body: s.CountsCheckCreate, user: Authorized, run: Runner
) -> s.CheckReportPublic:
    """The automatic checks of a count table, before asking for its release (no values)."""
    return await run.call(lambda n: services.check_counts(n, user, grant_id, body))


@router.post(
    "/workspaces/{grant_id}/dp-counts", name="workspace.dp_count",
    response_model=s.OutputRequestPublic, status_code=201,
)  # fmt: skip
async def dp_count(
    grant_id: Id, body: s.DPCountCreate, user: Authorized, run: Runner
) -> s.OutputRequestPublic:
    """A differentially private count; spends ε from the grant's budget."""
    return await run.serial(lambda n: services.dp_count(n, user, grant_id, body))


@router.get("/release/policy", name="release.policy")
async def policy(user: Authorized, run: Runner) -> dict[str, Any]:
    """The node's published output-checking thresholds."""
    return await run.call(lambda n: n.desk.policy.as_dict())


@router.get(
    "/output-requests", name="release.requests.list", response_model=Page[s.OutputRequestPublic]
)
async def list_requests(
    user: Authorized,
    run: Runner,
    limit: Limit = 50,
    offset: Offset = 0,
    state: Annotated[str | None, Query(max_length=30)] = None,
) -> dict[str, Any]:
    """A checker's queue (``state=submitted``), or a researcher's own requests."""
    return await run.call(lambda n: services.list_requests(n, user, state, limit, offset))


@router.get(
    "/output-requests/{request_id}", name="release.requests.get",
    response_model=s.OutputRequestPublic,
)  # fmt: skip
async def get_request(request_id: Id, user: Authorized, run: Runner) -> s.OutputRequestPublic:
    return await run.call(lambda n: services.get_request(n, user, request_id))


@router.post(
    "/output-requests/{request_id}/reviews", name="release.reviews.create",
    response_model=s.OutputRequestPublic, status_code=201,
)  # fmt: skip
async def review(
    request_id: Id, body: s.OutputReviewCreate, user: Authorized, run: Runner
) -> s.OutputRequestPublic:
    """Approve, reject with reasons, or ask for changes; the policy's approvals release it."""
    return await run.serial(lambda n: services.review(n, user, request_id, body))


@router.get(
    "/output-requests/{request_id}/files/{name}", name="release.files.get",
    response_class=FileResponse,
)  # fmt: skip
async def released_file(
    request_id: Id, name: FileName, user: Authorized, run: Runner
) -> FileResponse:
    path = await run.call(lambda n: services.released_file(n, user, request_id, name))
    return FileResponse(path, media_type="text/csv", filename=path.name)


@router.post("/output-checkers", name="release.checkers.create", status_code=201)
async def appoint(body: s.CheckerCreate, user: Authorized, run: Runner) -> list[str]:
    return await run.serial(lambda n: services.appoint(n, user, body))


@router.get(
    "/projects/{project}/ledger", name="release.ledger",
    response_model=Page[s.LedgerEntryPublic],
)  # fmt: skip
async def ledger(
    project: Id, user: Authorized, run: Runner, limit: Limit = 50, offset: Offset = 0
) -> dict[str, Any]:
    """The released cells of a project, one page at a time (released values only)."""
    return await run.call(lambda n: services.ledger(n, project, limit, offset))


@router.get(
    "/grants/{grant_id}/privacy-budget", name="release.budget", response_model=s.BudgetPublic
)
async def budget(grant_id: Id, user: Authorized, run: Runner) -> s.BudgetPublic:
    return await run.call(lambda n: services.budget(n, user, grant_id))
