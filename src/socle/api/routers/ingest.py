"""Loading FHIR input already placed in the node's import directory."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from socle.api import schemas as s
from socle.api import services
from socle.api.deps import Runner
from socle.api.policy import Authorized, authorize

router = APIRouter(prefix="/ingest", tags=["ingest"], dependencies=[Depends(authorize)])


@router.post("/loads", name="ingest.load", response_model=s.LoadPublic, status_code=201)
async def load(body: s.LoadCreate, request: Request, user: Authorized, run: Runner) -> s.LoadPublic:
    """Load a file or folder of FHIR R4 bundles/NDJSON; counts always reconcile."""
    import_dir = request.app.state.import_dir
    return await run.call(lambda n: services.load(n, user, import_dir, body))
