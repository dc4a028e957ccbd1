"""The data steward's page: load input from the import folder with live progress (the load runs
as a background job, its page reloads itself until the reconciliation is in), the quality
summary, the vocabulary's mapping status and the consent statistics."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from socle.api import Principal, schemas, services
from socle.figures import Figures
from socle.ingest import input_files
from socle.node import Node
from socle.web import session
from socle.web.app import PREFIX, figures, redirect, render, run

router = APIRouter(prefix="/steward")
REFRESH = 1  # seconds between reloads of a running load's page
DONE = ("succeeded", "failed")
KEPT = 50  # loads whose progress this server remembers


class Progress:
    """Files read so far by one load (kept by this server while the job runs)."""

    def __init__(self, total: int) -> None:
        self.total, self.done, self._lock = total, 0, threading.Lock()

    def tick(self, _file: Path, _resources: int) -> None:
        with self._lock:
            self.done += 1


def steward_view(node: Node, kept: Figures) -> dict[str, Any]:
    today = datetime.now(UTC).date()
    excluded = node.consent.excluded_counts(today)
    consent = [
        {"purpose": code, "rule": p.rule, "excluded": excluded[code]}
        for code, p in node.taxonomy.purposes.items()
    ]  # fmt: skip
    datasets = node.catalog.datasets()
    # The mapping changes only with a load or the vocabulary: read once per warehouse generation.
    mapping = kept.get(
        ("mapping", node.warehouse.generation),
        lambda: node.warehouse.mapping_report(for_steward=True, top=10),
    )
    return {
        "consent": consent,
        "persons_with_choices": node.consent.persons_with_choices(),
        "quality": datasets[0].quality if datasets else None,
        "quality_at": datasets[0].quality_at if datasets else None,
        "mapping": mapping,
        "shares": mapping.totals(),
    }


async def _page(request: Request, who: Principal, **extra: Any) -> Response:
    runner, kept = await run(request), figures(request)
    view = await runner.call(lambda n: steward_view(n, kept))
    extra = {"load": None, "job": None, "progress": None, **extra}
    return render(request, "steward.html", who=who, **extra, **view)


@router.get("")
async def steward(request: Request) -> Response:
    who = session.require(request, "ingest.load")
    return await _page(request, who)


def _loads(request: Request) -> dict[str, Progress]:
    """The progress of this server's latest loads, by job (see :func:`socle.web.create_web`)."""
    kept: dict[str, Progress] = request.app.state.loads
    return kept


@router.post("/loads")
async def load(request: Request) -> Response:
    """Start loading a file or folder of the import folder; its page follows the progress."""
    who = session.require(request, "ingest.load")
    fields = await session.form(request)
    body = schemas.LoadCreate.model_validate({"path": fields.get("path", "")})
    state = request.app.state.parent.state
    path = services.import_path(state.import_dir, body)  # a bad path is refused now
    progress = Progress(len(input_files(path)))
    runner = await run(request)
    job = await runner.call(
        lambda n: state.jobs.start(
            "ingest.load", who,
            lambda n: services.load(n, who, state.import_dir, body, on_file=progress.tick),
        )
    )  # fmt: skip
    loads = _loads(request)
    loads[job.id] = progress
    while len(loads) > KEPT:
        loads.pop(next(iter(loads)))
    return redirect(f"{PREFIX}/steward/loads/{job.id}")


def _status(request: Request, who: Principal, job_id: str) -> dict[str, Any]:
    job = request.app.state.parent.state.jobs.get(job_id[:40], who)  # the caller's jobs only
    progress = _loads(request).get(job.id)
    return {
        "id": job.id, "state": job.state, "error": job.error,
        "files_done": progress.done if progress else None,
        "files_total": progress.total if progress else None,
        "load": job.result if job.state == "succeeded" else None,
    }  # fmt: skip


@router.get("/loads/{job_id}/status")
async def load_status(request: Request, job_id: str) -> Response:
    """The load's state and files read so far, as JSON (for a page or a script that polls)."""
    who = session.require(request, "jobs.get")
    runner = await run(request)
    status = await runner.call(lambda n: _status(request, who, job_id))
    return JSONResponse(status, headers={"Cache-Control": "no-store"})


@router.get("/loads/{job_id}")
async def load_page(request: Request, job_id: str) -> Response:
    who = session.require(request, "ingest.load")
    runner = await run(request)
    status = await runner.call(lambda n: _status(request, who, job_id))
    running = status["state"] not in DONE
    load = schemas.LoadPublic.model_validate(status["load"]) if status["load"] else None
    return await _page(request, who, job=status, load=load, refresh=REFRESH if running else None)
