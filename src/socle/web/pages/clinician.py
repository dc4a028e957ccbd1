"""The clinician's pages: the pending predictions of their care contexts, each with its
score, explanation and the model's notice; accept, amend or reject with a reason."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from socle.api import Principal, schemas, services
from socle.node import Node
from socle.web import session
from socle.web.app import PREFIX, redirect, render, run

router = APIRouter(prefix="/care")
SHOWN = 20  # the oldest pending predictions first; each decision brings the next one in


def pending(node: Node, who: Principal) -> list[dict[str, Any]]:
    """The predictions still awaiting a decision, in the clinician's care contexts."""
    notices = {m.id: m.notice for m in node.models.registered()}
    found = []
    for prediction in node.guarantee.pending(who.care_contexts, limit=SHOWN):
        public = services.get_prediction(node, who, prediction.id)
        found.append({"p": public, "notice": notices.get(prediction.model_id, "")})
    return found


@router.get("")
async def predictions(request: Request) -> Response:
    who = session.require(request, "predictions.decide")
    runner = await run(request)
    items = await runner.call(lambda n: pending(n, who))
    return render(request, "clinician.html", who=who, items=items)


@router.post("/{prediction_id}")
async def decide(request: Request, prediction_id: str) -> Response:
    who = session.require(request, "predictions.decide")
    fields = await session.form(request)
    amended = fields.get("amended_score", "").strip().replace(",", ".")
    body = schemas.PredictionDecisionCreate.model_validate(
        {"decision": fields.get("decision", ""), "reason": fields.get("reason", ""),
         "amended_score": float(amended) / 100 if amended else None}
    )  # fmt: skip
    runner = await run(request)
    await runner.serial(lambda n: services.decide_prediction(n, who, prediction_id[:40], body))
    return redirect(f"{PREFIX}/care?decided={prediction_id}")
