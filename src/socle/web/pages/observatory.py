"""The observatory's public pages (no sign-in): the map of published AI tools and health
databases, one entry with its live figures, the Top 10 of a category drawn as a chart with
each criterion's contribution, and the vigilance alerts.

They read only what the observatory published, through the API's public operations
(``observatory.map``, ``observatory.entry``, ``observatory.top``, ``observatory.alerts``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from socle.api import observatory as public
from socle.node import Node
from socle.observatory import MethodError
from socle.web import charts
from socle.web.app import figures, render, run, translator

router = APIRouter(prefix="/observatory")
PAGE = 25  # entries per page of the map


def _map(node: Node, kind: str, category: str, offset: int) -> dict[str, Any]:
    found = public.public_map(
        node, kind or None, category or None, None, None, None, PAGE, offset
    )  # fmt: skip
    try:
        alerts, alerts_error = public.alerts(node), None
    except MethodError as exc:  # vigilance follows the scoring method: none adopted yet
        alerts, alerts_error = [], exc.message
    return {**found, "alerts": alerts, "alerts_error": alerts_error,
            "taxonomy": public.taxonomy(), "page": PAGE}  # fmt: skip


@router.get("")
async def observatory(
    request: Request, kind: str = "", category: str = "", offset: int = 0
) -> Response:
    runner = await run(request)
    view = await runner.call(lambda n: _map(n, kind[:40], category[:40], max(0, offset)))
    return render(request, "observatory.html", kind=kind, category=category, **view)


@router.get("/entries/{entry_id}")
async def entry(request: Request, entry_id: str) -> Response:
    runner = await run(request)
    found = await runner.call(lambda n: public.public_entry(n, entry_id[:40]))
    return render(request, "observatory_entry.html", e=found)


def _top(node: Node, category: str) -> dict[str, Any]:
    ranking = public.top(node, category, None, None)
    titles = public.taxonomy()["categories"]
    return {"ranking": ranking, "title": titles.get(category, {}).get("title", category)}


@router.get("/top/{category}")
async def top(request: Request, category: str) -> Response:
    runner, t = await run(request), translator(request)
    view = await runner.call(lambda n: _top(n, category[:40]))
    ranked, title = view["ranking"]["ranked"], view["title"]

    def draw() -> str:
        names, points = [r["name"][:18] for r in ranked], [r["total"] for r in ranked]
        return charts.bar_chart(names, points, t("obs.top_chart", category=title), t("obs.points"))

    # Redrawn only when what it shows changes (the ranking's digest also covers its time).
    key = ("observatory-top", t.lang, title, tuple((r["name"], r["total"]) for r in ranked))
    chart = figures(request).get(key, draw) if ranked else None
    return render(request, "observatory_top.html", category=category, chart=chart, **view)
