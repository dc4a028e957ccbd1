"""The catalogue: datasets and their variable dictionary."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query

from socle.api import schemas as s
from socle.api import services, services_federation
from socle.api.deps import Limit, Offset, Runner
from socle.api.policy import Authorized, authorize

router = APIRouter(prefix="/catalog", tags=["catalog"], dependencies=[Depends(authorize)])
DatasetId = Annotated[str, Path(min_length=1, max_length=40)]
Purpose = Annotated[
    str,
    Query(
        min_length=1, max_length=60,
        description="Purpose whose consent filter applies to every count shown",
    ),
]  # fmt: skip


@router.post("/datasets", name="catalog.register", response_model=s.DatasetPublic, status_code=201)
async def register(body: s.DatasetCreate, user: Authorized, run: Runner) -> s.DatasetPublic:
    """Register the warehouse content as a dataset, with its dictionary."""
    return await run.serial(lambda n: services.register_dataset(n, user, body))


@router.get("/datasets/{dataset_id}", name="catalog.dataset", response_model=s.DatasetPublic)
async def dataset(
    dataset_id: DatasetId, user: Authorized, run: Runner, purpose: Purpose = "research"
) -> s.DatasetPublic:
    """A dataset's metadata; its population counts consenting persons only, checked."""
    return await run.call(lambda n: services.dataset(n, user, dataset_id, purpose))


@router.get(
    "/datasets/{dataset_id}/variables", name="catalog.variables",
    response_model=s.Page[s.VariablePublic],
)  # fmt: skip
async def variables(
    dataset_id: DatasetId,
    user: Authorized,
    run: Runner,
    limit: Limit = 50,
    offset: Offset = 0,
    table: Annotated[str | None, Query(max_length=80, description="Only this CDM table")] = None,
    purpose: Purpose = "research",
) -> Any:
    """The variable dictionary; completeness and distinct values on consenting persons, checked."""
    return await run.call(
        lambda n: services.variables(n, user, dataset_id, purpose, table, limit, offset)
    )


@router.post(
    "/network-feasibility", name="catalog.network_feasibility",
    response_model=s.NetworkFeasibilityPublic,
)  # fmt: skip
async def network_feasibility(
    body: s.NetworkFeasibilityAsk, user: Authorized, run: Runner
) -> s.NetworkFeasibilityPublic:
    """At a hub: how many persons with a concept (and its descendants) or a source code across
    the network, for an approved study. Each site answers through its checkpoint and release
    checks; the total is checked at the hub (``null``: suppressed). Seconds, not minutes: the
    hub keeps the study's session open. 503 when the network cannot answer."""
    return await run.work(lambda n: services_federation.network_feasibility(n, user, body))
