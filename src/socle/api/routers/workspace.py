"""The secure workspace of a grant: outputs go to the release desk."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path

from socle.api import schemas as s
from socle.api import schemas_release as sr
from socle.api import services_release as services
from socle.api.deps import Runner
from socle.api.policy import Authorized, authorize

router = APIRouter(prefix="/workspaces", tags=["workspace"], dependencies=[Depends(authorize)])


@router.post(
    "/{grant_id}/condition-counts", name="workspace.condition_counts",
    response_model=sr.OutputRequestPublic, status_code=201,
)  # fmt: skip
async def condition_counts(
    grant_id: Annotated[str, Path(min_length=1, max_length=40)],
    body: s.CountsCreate,
    user: Authorized,
    run: Runner,
) -> sr.OutputRequestPublic:
    """Persons with a condition by age band and sex, handed to the release desk (not released)."""
    return await run.call(
        lambda n: services.condition_counts(n, user, grant_id, body.condition, list(body.dims))
    )
