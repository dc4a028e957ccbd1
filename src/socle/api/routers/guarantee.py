"""Predictions under human guarantee: every one awaits a clinician's decision."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path

from socle.api import schemas as s
from socle.api import services
from socle.api.deps import Runner
from socle.api.policy import Authorized, authorize

router = APIRouter(tags=["guarantee"], dependencies=[Depends(authorize)])
PredictionId = Annotated[str, Path(min_length=1, max_length=40)]


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
