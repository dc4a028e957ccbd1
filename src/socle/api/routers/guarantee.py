"""Predictions under human guarantee: every one awaits a clinician's decision."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path

from socle.api import schemas as s
from socle.api import schemas_ai as sa
from socle.api import services, services_ai
from socle.api.deps import Limit, Offset, Runner
from socle.api.policy import Authorized, authorize

router = APIRouter(tags=["guarantee"], dependencies=[Depends(authorize)])
PredictionId = Annotated[str, Path(min_length=1, max_length=40)]
ModelId = Annotated[str, Path(min_length=1, max_length=40)]


@router.post(
    "/predictions", name="predictions.create", response_model=s.PredictionPublic, status_code=201
)
async def create(body: s.PredictionCreate, user: Authorized, run: Runner) -> s.PredictionPublic:
    """Score one patient in one of the clinician's care contexts; stored as pending."""
    return await run.serial(lambda n: services.predict(n, user, body))


@router.get(
    "/predictions/{prediction_id}", name="predictions.get", response_model=s.PredictionPublic
)
async def get(prediction_id: PredictionId, user: Authorized, run: Runner) -> s.PredictionPublic:
    return await run.call(lambda n: services.get_prediction(n, user, prediction_id))


@router.post(
    "/predictions/{prediction_id}/decision", name="predictions.decide",
    response_model=s.PredictionPublic,
)  # fmt: skip
async def decide(
    prediction_id: PredictionId, body: s.PredictionDecisionCreate, user: Authorized, run: Runner
) -> s.PredictionPublic:
    """Accept, amend or reject a pending prediction, with a reason."""
    return await run.serial(lambda n: services.decide_prediction(n, user, prediction_id, body))


@router.get("/guarantee/status", name="guarantee.status", response_model=dict[str, int])
async def status(user: Authorized, run: Runner) -> dict[str, int]:
    """Predictions by status: pending ones are not yet guaranteed."""
    return await run.call(lambda n: n.guarantee.status_report())


@router.get("/guarantee/reasons", name="guarantee.reasons", response_model=sa.ReasonsPublic)
async def reasons(user: Authorized) -> sa.ReasonsPublic:
    """The published taxonomy of reasons for a clinician's decision."""
    return services_ai.reasons()


@router.post("/predictions/{prediction_id}/outcome", name="predictions.outcome", status_code=204)
async def outcome(
    prediction_id: PredictionId, body: sa.OutcomeCreate, user: Authorized, run: Runner
) -> None:
    """Link the observed outcome to a prediction (calibration in practice)."""
    await run.serial(lambda n: services_ai.outcome(n, user, prediction_id, body))


@router.post(
    "/guarantee/models/{model_id}/monitoring", name="guarantee.monitor",
    response_model=sa.MonitoringPublic,
)  # fmt: skip
async def monitor(model_id: ModelId, user: Authorized, run: Runner) -> sa.MonitoringPublic:
    """Drift, overrides and calibration in practice; raises the alerts the policy calls for."""
    return await run.serial(lambda n: services_ai.monitor(n, user, model_id))


@router.get("/guarantee/alerts", name="guarantee.alerts", response_model=s.Page[sa.AlertPublic])
async def alerts(
    user: Authorized,
    run: Runner,
    status: Literal["open", "closed"] | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    """The monitoring's alerts, oldest first (``status=open``: those the college has not closed)."""
    return await run.call(lambda n: services_ai.alerts(n, status, limit, offset))


@router.get("/guarantee/models/{model_id}/fhir", name="guarantee.fhir")
async def fhir(
    model_id: ModelId, user: Authorized, run: Runner, version: Literal["R4", "R5"] = "R4"
) -> dict[str, Any]:
    """Clinicians' decisions as a FHIR Bundle: R4 Provenance + Basic, or R5 ArtifactAssessment."""
    return await run.call(lambda n: services_ai.fhir(n, model_id, version))
