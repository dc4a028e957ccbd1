"""The committee's pages: the queue and decision times, one request with its automatic
checks, the scoring form per published criterion, conflicts, the decision and the grant."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from socle.api import Principal, schemas, services
from socle.node import Node
from socle.web import charts, session
from socle.web.app import PREFIX, figures, redirect, render, run, translator

router = APIRouter(prefix="/committee")
OPEN = ("submitted", "checked", "in_review", "changes_requested", "approved")


def queue(node: Node) -> dict[str, Any]:
    items = []
    decided = []
    for time in node.governance.decision_times():
        request, state = node.governance.request(time.request_id)
        if state in OPEN:
            items.append({"id": time.request_id, "title": request.title, "state": state,
                          "sponsor": request.sponsor, "submitted_at": time.submitted_at})  # fmt: skip
        if time.seconds is not None:
            decided.append((time.request_id, time.seconds / 86400))
    return {"items": items, "summary": node.governance.decision_time_summary(), "decided": decided}


@router.get("/queue")
async def committee_queue(request: Request) -> Response:
    who = session.require(request, "requests.review")
    runner = await run(request)
    view = await runner.call(queue)
    t, decided = translator(request), tuple(view["decided"])

    def draw() -> str:
        labels, days = [rid[-6:] for rid, _ in decided], [d for _, d in decided]
        return charts.bar_chart(labels, days, t("committee.chart"), t("committee.days"))

    # Redrawn only when a decision changes what it shows (and once per language).
    chart = figures(request).get(("decision-times", t.lang, decided), draw) if decided else None
    return render(request, "committee_queue.html", who=who, chart=chart, **view)


def request_view(node: Node, who: Principal, request_id: str) -> dict[str, Any]:
    public = services.get_request(node, who, request_id)
    members = {m.id: m.name for m in node.governance.members()}
    reviews = node.governance.reviews(request_id, current_round=True)
    return {
        "req": public,
        "checks": node.governance.checks(request_id),  # at the latest submission
        "criteria": node.governance.criteria,
        "reviews": [(members.get(r.member_id, r.member_id), r) for r in reviews],
        "recommendation": node.governance.recommendation(request_id),
        "decisions": node.governance.decisions(request_id),
        "expires": (datetime.now(UTC).date() + timedelta(days=365)).isoformat(),
    }


@router.get("/requests/{request_id}")
async def committee_request(request: Request, request_id: str) -> Response:
    who = session.require(request, "requests.review")
    runner = await run(request)
    view = await runner.call(lambda n: request_view(n, who, request_id[:40]))
    return render(request, "committee_request.html", who=who, **view)


def _back(request_id: str) -> Response:
    return redirect(f"{PREFIX}/committee/requests/{request_id}")


@router.post("/requests/{request_id}/review/start")
async def start_review(request: Request, request_id: str) -> Response:
    who = session.require(request, "requests.review")
    await session.form(request)
    runner = await run(request)
    await runner.serial(lambda n: services.start_review(n, who, request_id[:40]))
    return _back(request_id)


@router.post("/requests/{request_id}/reviews")
async def review(request: Request, request_id: str) -> Response:
    """The signed-in member's scores on every published criterion, with comments."""
    who = session.require(request, "requests.reviews.create")
    fields = await session.form(request)
    scores = {k[6:]: v for k, v in fields.items() if k.startswith("score_")}
    comments = {k[8:]: v for k, v in fields.items() if k.startswith("comment_") and v.strip()}
    body = schemas.ReviewCreate.model_validate(
        {"scores": {k: int(v) if v.isdigit() else -1 for k, v in scores.items()},
         "summary": fields.get("summary", ""), "comments": comments}
    )  # fmt: skip
    runner = await run(request)
    await runner.serial(lambda n: services.review_request(n, who, request_id[:40], body))
    return _back(request_id)


@router.post("/requests/{request_id}/conflict")
async def conflict(request: Request, request_id: str) -> Response:
    """The signed-in member declares an interest: they are barred from this request."""
    who = session.require(request, "committee.conflicts.create")
    fields = await session.form(request)
    body = schemas.ConflictCreate.model_validate(
        {"request_id": request_id[:40], "statement": fields.get("statement", "")}
    )
    runner = await run(request)
    await runner.serial(lambda n: services.declare_conflict(n, who, body))
    return redirect(f"{PREFIX}/committee/queue?declared={request_id}")


@router.post("/requests/{request_id}/decision")
async def decide(request: Request, request_id: str) -> Response:
    who = session.require(request, "requests.decide")
    fields = await session.form(request)
    body = schemas.DecisionCreate.model_validate(
        {"outcome": fields.get("outcome", ""),
         "reviewers": [r for r in fields.get("reviewers", "").splitlines() if r],
         "reasons": fields.get("reasons", ""), "conditions": fields.get("conditions", "")}
    )  # fmt: skip
    runner = await run(request)
    await runner.serial(lambda n: services.decide_request(n, who, request_id[:40], body))
    return _back(request_id)


@router.post("/requests/{request_id}/grant")
async def issue_grant(request: Request, request_id: str) -> Response:
    who = session.require(request, "requests.grant")
    fields = await session.form(request)
    expires = fields.get("expires") or (date.today() + timedelta(days=365)).isoformat()
    body = schemas.GrantCreate.model_validate({"expires": expires})
    runner = await run(request)
    await runner.serial(lambda n: services.issue_grant(n, who, request_id[:40], body))
    return _back(request_id)
