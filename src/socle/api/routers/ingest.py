"""Loading FHIR input already placed in the node's import directory (a background job)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from socle.api import schemas as s
from socle.api import services
from socle.api.deps import Runner
from socle.api.jobs import JobPublic
from socle.api.policy import Authorized, authorize

router = APIRouter(prefix="/ingest", tags=["ingest"], dependencies=[Depends(authorize)])


@router.post("/loads", name="ingest.load", response_model=JobPublic, status_code=202)
async def load(body: s.LoadCreate, request: Request, user: Authorized, run: Runner) -> JobPublic:
    """Start loading a file or folder of FHIR R4 bundles/NDJSON; counts always reconcile.

    Answers at once with a job; ``GET /jobs/{id}`` gives its ``LoadPublic`` result.
    """
    import_dir, jobs = request.app.state.import_dir, request.app.state.jobs
    services.import_path(import_dir, body)  # a bad path is refused now, not in the job
    return await run.call(
        lambda n: jobs.start(
            "ingest.load", user, lambda n: services.load(n, user, import_dir, body)
        )
    )
