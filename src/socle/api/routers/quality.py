"""Data-quality reports of the warehouse."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from socle.api import schemas as s
from socle.api import services
from socle.api.deps import Runner
from socle.api.policy import Authorized, authorize

router = APIRouter(prefix="/quality", tags=["quality"], dependencies=[Depends(authorize)])


@router.post("/reports", name="quality.report", response_model=s.QualityPublic, status_code=201)
async def report(user: Authorized, run: Runner) -> s.QualityPublic:
    return await run.call(lambda n: services.quality_report(n, user))
