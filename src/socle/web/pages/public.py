"""Public pages (no sign-in): the catalogue, the register of approved projects, the committee.

Only what is published reaches them: dataset metadata and counts disclosed by
the catalogue's rules (consent applied, small cells hidden, others rounded),
the approved projects as a register publishes them, the committee's criteria
and its decision times.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from socle.node import Node
from socle.web.app import render, run

router = APIRouter()
PUBLIC_ACTOR, PUBLIC_ROLE = "anonymous", "public"
APPROVED = frozenset({"approved", "active", "suspended", "expired", "closed"})


@dataclass(frozen=True)
class RegisterEntry:
    """One approved project as the register publishes it."""

    request_id: str
    title: str
    purpose: str
    sponsor: str
    lead: str
    state: str
    data_used: tuple[str, ...]
    period: str
    submitted_at: str
    decided_at: str | None
    outputs_released: int


def register(node: Node) -> list[RegisterEntry]:
    released: dict[str, int] = {}
    for output in node.desk.requests(state="released"):
        released[output.project] = released.get(output.project, 0) + 1
    entries = []
    for time in node.governance.decision_times():
        if time.state not in APPROVED:
            continue
        request, state = node.governance.request(time.request_id)
        lead = request.team[0].name if request.team else ""
        entries.append(
            RegisterEntry(
                time.request_id, request.title, request.purpose, request.sponsor, lead, state,
                tuple(sorted({f"{v.table}.{v.column}" for v in request.variables})),
                f"{request.period_start or '…'} – {request.period_end or '…'}",
                time.submitted_at, time.decided_at, released.get(time.request_id, 0),
            )
        )  # fmt: skip
    return entries


def _catalogue(node: Node, keyword: str, variable: str) -> list[Any]:
    return node.catalog.search(keyword=keyword or None, variable=variable or None)


@router.get("/catalogue")
async def catalogue(request: Request, q: str = "", variable: str = "") -> Response:
    runner = await run(request)
    found = await runner.call(lambda n: _catalogue(n, q[:200], variable[:200]))
    return render(request, "catalogue.html", datasets=found, q=q, variable=variable)


@router.get("/catalogue/{dataset_id}")
async def dataset(request: Request, dataset_id: str, variable: str = "") -> Response:
    runner = await run(request)
    ds = await runner.call(
        lambda n: n.catalog.for_purpose(
            dataset_id[:40], warehouse=n.warehouse, consent=n.consent, purpose="research",
            actor=PUBLIC_ACTOR, role=PUBLIC_ROLE,
        )
    )  # fmt: skip
    needle = variable.lower()[:200]
    shown = [
        v for v in ds.variables
        if not needle or needle in f"{v.table}.{v.column} {v.description}".lower()
    ]  # fmt: skip
    return render(request, "dataset.html", ds=ds, variables=shown, variable=variable)


@router.get("/register")
async def approved_projects(request: Request) -> Response:
    runner = await run(request)
    entries = await runner.call(register)
    return render(request, "register.html", entries=entries)


@router.get("/committee")
async def committee(request: Request) -> Response:
    runner = await run(request)
    criteria, summary = await runner.call(
        lambda n: (n.governance.criteria, n.governance.decision_time_summary())
    )
    return render(request, "committee_public.html", criteria=criteria, summary=summary)
