"""The data steward's page: load input from the import folder (reconciled, quarantine named),
the quality summary, the vocabulary's mapping status and the consent statistics."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from socle.api import Principal, schemas, services
from socle.node import Node
from socle.web import session
from socle.web.app import render, run

router = APIRouter(prefix="/steward")


def steward_view(node: Node) -> dict[str, Any]:
    today = datetime.now(UTC).date()
    consent = [
        {"purpose": code, "rule": p.rule, "excluded": node.consent.excluded_count(code, today)}
        for code, p in node.taxonomy.purposes.items()
    ]  # fmt: skip
    datasets = node.catalog.datasets()
    mapping = node.warehouse.mapping_report(for_steward=True, top=10)
    return {
        "consent": consent,
        "persons_with_choices": node.consent.persons_with_choices(),
        "quality": datasets[0].quality if datasets else None,
        "quality_at": datasets[0].quality_at if datasets else None,
        "mapping": mapping,
        "shares": mapping.totals(),
    }


async def _page(request: Request, who: Principal, **extra: Any) -> Response:
    runner = await run(request)
    view = await runner.call(steward_view)
    return render(request, "steward.html", who=who, **{"load": None, **extra}, **view)


@router.get("")
async def steward(request: Request) -> Response:
    who = session.require(request, "ingest.load")
    return await _page(request, who)


@router.post("/loads")
async def load(request: Request) -> Response:
    """Load a file or folder of the import folder; the page shows its reconciliation."""
    who = session.require(request, "ingest.load")
    fields = await session.form(request)
    body = schemas.LoadCreate.model_validate({"path": fields.get("path", "")})
    state = request.app.state.parent.state
    runner = await run(request)
    summary = await runner.serial(lambda n: services.load(n, who, state.import_dir, body))
    return await _page(request, who, load=summary)
