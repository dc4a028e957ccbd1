"""The auditor's pages: search the events, verify the chain, trace a release back to the
committee's decision."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from socle.api import services
from socle.audit import TamperedLogError
from socle.web import session
from socle.web.app import render, run

router = APIRouter(prefix="/audit")
SHOWN = 200


@router.get("")
async def audit(request: Request, action: str = "", actor: str = "", trace: str = "") -> Response:
    who = session.require(request, "audit.events")
    runner = await run(request)
    found = await runner.call(
        lambda n: services.audit_events(n, action[:80] or None, actor[:200] or None, SHOWN, 0)
    )
    links = None
    if trace:
        session.require(request, "audit.trace")
        links = await runner.call(lambda n: services.trace_release(n, trace[:40]))
    return render(
        request, "audit.html", who=who, events=found["items"], total=found["total"],
        action=action, actor=actor, trace=trace, links=links, verified=None, broken=None,
    )  # fmt: skip


@router.post("/verify")
async def verify(request: Request) -> Response:
    """Check every event's hash, seal and the anchors: a changed log is named, not hidden."""
    who = session.require(request, "audit.verify")
    await session.form(request)
    runner = await run(request)
    try:
        verified, broken = await runner.call(services.verify_audit), None
    except TamperedLogError as exc:
        verified, broken = None, exc.message
    return render(
        request, "audit.html", who=who, events=[], total=0, action="", actor="", trace="",
        links=None, verified=verified, broken=broken,
    )  # fmt: skip
