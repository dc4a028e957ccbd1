"""The researcher's sandboxed jobs: launch a script on the grant's extract from its page, then
follow the job's state (the page reloads itself while it runs; no script in the page).

The job runs in the workspace's sandbox exactly as through the API
(``workspace.jobs.create``): bound to its grant, hashed, supervised, audited; the researcher
sees the framework's log and the outputs' names and hashes, never the script's own output
(that leaves only through the release desk).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from socle.api import Principal, schemas, services
from socle.node import Node
from socle.web import session
from socle.web.app import PREFIX, redirect, render, run

router = APIRouter(prefix="/researcher")
FINAL = ("succeeded", "failed", "stopped")
REFRESH = 2  # seconds between reloads of a running job's page


def grant_jobs(node: Node, who: Principal, grant_id: str) -> list[Any]:
    """The grant's jobs, newest first (the grant's page lists them)."""
    jobs = node.workspace.jobs.jobs(grant_id)
    return [services.get_job(node, who, j.id) for j in reversed(jobs)][:20]


@router.post("/grants/{grant_id}/jobs")
async def launch(request: Request, grant_id: str) -> Response:
    who = session.require(request, "workspace.jobs.create")
    fields = await session.form(request)
    body = schemas.JobCreate.model_validate(
        {"filename": fields.get("filename", "").strip(), "script": fields.get("script", "")}
    )
    runner = await run(request)
    job = await runner.serial(lambda n: services.start_job(n, who, grant_id[:40], body))
    return redirect(f"{PREFIX}/researcher/jobs/{job.id}")


def _job_view(node: Node, who: Principal, job_id: str) -> dict[str, Any]:
    return {
        "job": services.get_job(node, who, job_id),
        "log": services.job_logs(node, who, job_id).log,
    }


@router.get("/jobs/{job_id}")
async def job(request: Request, job_id: str) -> Response:
    who = session.require(request, "workspace.jobs.get")
    runner = await run(request)
    view = await runner.call(lambda n: _job_view(n, who, job_id[:40]))
    running = view["job"].state not in FINAL
    return render(
        request, "job.html", who=who, refresh=REFRESH if running else None, running=running,
        **view,
    )  # fmt: skip


@router.post("/jobs/{job_id}/cancel")
async def cancel(request: Request, job_id: str) -> Response:
    who = session.require(request, "workspace.jobs.cancel")
    await session.form(request)
    runner = await run(request)
    await runner.serial(lambda n: services.cancel_job(n, who, job_id[:40]))
    return redirect(f"{PREFIX}/researcher/jobs/{job_id}")
