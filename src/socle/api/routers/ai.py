"""Models: training through the workspace checkpoint, the registry's stages, lineage,
evaluation reports and documents."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import FileResponse

from socle.api import schemas as s
from socle.api import schemas_ai as sa
from socle.api import services, services_ai
from socle.api.deps import Limit, Offset, Runner
from socle.api.jobs import JobPublic
from socle.api.policy import Authorized, authorize

router = APIRouter(prefix="/models", tags=["ai"], dependencies=[Depends(authorize)])
ModelId = Annotated[str, Path(min_length=1, max_length=40)]
Document = Literal["card", "notice-en", "notice-fr", "annex-iv", "tripod", "report", "report-json"]
MEDIA = {".md": "text/markdown", ".html": "text/html", ".json": "application/json"}


@router.post("", name="models.train", response_model=JobPublic, status_code=202)
async def train(body: s.ModelCreate, request: Request, user: Authorized, run: Runner) -> JobPublic:
    """Start training and evaluating a model under a grant of the caller's project.

    The grant is checked now; ``GET /jobs/{id}`` gives the ``ModelPublic`` result.
    """
    jobs = request.app.state.jobs
    await run.call(lambda n: services.check_training(n, user, body))
    return await run.call(
        lambda n: jobs.start("models.train", user, lambda n: services.train_model(n, user, body))
    )


@router.get("", name="models.list", response_model=s.Page[sa.ModelInfoPublic])
async def list_models(
    user: Authorized, run: Runner, limit: Limit = 50, offset: Offset = 0
) -> dict[str, Any]:
    """The models with their version and stage (no metrics, no lineage), oldest first."""
    return await run.call(lambda n: services_ai.models(n, user, limit, offset))


@router.get("/definitions", name="models.definitions", response_model=list[sa.DefinitionPublic])
async def definitions(user: Authorized) -> list[sa.DefinitionPublic]:
    """The prediction tasks this node knows (cohort, outcome, time at risk, features)."""
    return services_ai.definitions()


@router.get("/{model_id}", name="models.get", response_model=s.ModelPublic)
async def get(model_id: ModelId, user: Authorized, run: Runner) -> s.ModelPublic:
    """A model's checked metrics: for its project's team, the committee and auditors."""
    return await run.call(lambda n: services.get_model(n, user, model_id))


@router.post("/{model_id}/stage", name="models.stage", response_model=sa.ModelInfoPublic)
async def stage(
    model_id: ModelId, body: sa.StageCreate, user: Authorized, run: Runner
) -> sa.ModelInfoPublic:
    """The committee validates (or retires) a model; deploying and suspending are the college's."""
    return await run.serial(lambda n: services_ai.stage(n, user, model_id, body))


@router.get("/{model_id}/lineage", name="models.lineage", response_model=sa.LineagePublic)
async def lineage(model_id: ModelId, user: Authorized, run: Runner) -> sa.LineagePublic:
    """Grant, code, training-set and definition hashes, parameters, libraries, stage changes."""
    return await run.call(lambda n: services_ai.lineage(n, user, model_id))


@router.get("/{model_id}/report", name="models.report")
async def report(model_id: ModelId, user: Authorized, run: Runner) -> dict[str, Any]:
    """The evaluation report (every figure checked like a release; withheld ones are null)."""
    return await run.call(lambda n: services_ai.report(n, user, model_id))


@router.get("/{model_id}/documents/{name}", name="models.document", response_class=FileResponse)
async def document(
    model_id: ModelId, name: Document, user: Authorized, run: Runner
) -> FileResponse:
    """Model card, notices (FR/EN), TRIPOD+AI checklist, Annex IV pack or the HTML report."""
    path = await run.call(lambda n: services_ai.document(n, user, model_id, name))
    return FileResponse(path, media_type=MEDIA.get(path.suffix, "text/plain"), filename=path.name)
