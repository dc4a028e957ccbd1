"""Models trained through the workspace checkpoint."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path

from socle.api import schemas as s
from socle.api import services
from socle.api.deps import Runner
from socle.api.policy import Authorized, authorize

router = APIRouter(prefix="/models", tags=["ai"], dependencies=[Depends(authorize)])


@router.post("", name="models.train", response_model=s.ModelPublic, status_code=201)
async def train(body: s.ModelCreate, user: Authorized, run: Runner) -> s.ModelPublic:
    """Train and evaluate a model under a grant of the caller's project."""
    return await run.call(lambda n: services.train_model(n, user, body))


@router.get("/{model_id}", name="models.get", response_model=s.ModelPublic)
async def get(
    model_id: Annotated[str, Path(min_length=1, max_length=40)], user: Authorized, run: Runner
) -> s.ModelPublic:
    """A model's checked metrics: for its project's team, the committee and auditors."""
    return await run.call(lambda n: services.get_model(n, user, model_id))
