"""The release desk for output checkers: each output beside its automatic checks and the
project's earlier releases; approve, reject or ask for changes, with reasons."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from socle.api import Principal, schemas_release, services_release
from socle.node import Node
from socle.web import session
from socle.web.app import PREFIX, redirect, render, run

router = APIRouter(prefix="/desk")
WAITING = ("submitted", "in_review")
SHOWN = 100  # per state, newest first


def desk_queue(node: Node, who: Principal) -> list[Any]:
    """The outputs waiting for a checker (the desk reads them by state, never the whole log)."""
    items = []
    for state in WAITING:
        items += services_release.list_requests(node, who, state, SHOWN, 0)["items"]
    return items


@router.get("")
async def desk(request: Request) -> Response:
    who = session.require(request, "release.requests.list")
    runner = await run(request)
    items = await runner.call(lambda n: desk_queue(n, who))
    return render(request, "desk.html", who=who, items=items)


def output_view(node: Node, who: Principal, output_id: str) -> dict[str, Any]:
    out = services_release.get_request(node, who, output_id)  # visible to ``who``, or refused
    # The project's earlier releases (listed to checkers and auditors only: ``out.history``),
    # read in one pass rather than one full request each.
    earlier = node.desk.history(output_id) if out.history else []
    return {"out": out, "earlier": earlier}


@router.get("/{output_id}")
async def output(request: Request, output_id: str) -> Response:
    who = session.require(request, "release.requests.get")
    runner = await run(request)
    view = await runner.call(lambda n: output_view(n, who, output_id[:40]))
    return render(request, "desk_output.html", who=who, **view)


@router.post("/{output_id}/review")
async def review(request: Request, output_id: str) -> Response:
    who = session.require(request, "release.reviews.create")
    fields = await session.form(request)
    body = schemas_release.OutputReviewCreate.model_validate(
        {"decision": fields.get("decision", ""), "reasons": fields.get("reasons", "")}
    )
    runner = await run(request)
    await runner.serial(lambda n: services_release.review(n, who, output_id[:40], body))
    return redirect(f"{PREFIX}/desk/{output_id}")
