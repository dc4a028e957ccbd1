"""Background jobs: long work (loads, quality reports, training) runs off the request.

``POST`` of a long operation answers ``202 Accepted`` with a job at once; the
work runs on the runner's job threads and ``GET /jobs/{id}`` gives its state
(``queued``, ``running``, ``succeeded`` with the operation's result, or
``failed`` with the error's message). Jobs are rows of the governance store,
so any worker process answers for a job another one runs. Only the user who
started a job sees it. A job's error is the :class:`SocleError`'s message
(never patient data); any other failure is reported as an internal error and
logged with its traceback on the server.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy import Engine, select

from socle.api.auth import Principal
from socle.api.runner import NodeRunner
from socle.api.tables import api_job
from socle.errors import SocleError, crash_place
from socle.governance import NotFoundError
from socle.node import Node

log = logging.getLogger("socle.api")

JobState = Literal["queued", "running", "succeeded", "failed"]


class JobPublic(BaseModel):
    id: str
    kind: str
    state: JobState
    created_at: str
    finished_at: str | None = None
    result: dict[str, Any] | None = None
    error: str | None = None


def _now() -> datetime:
    return datetime.now(UTC)


class Jobs:
    """Start jobs on the runner's job threads and read their state from the store."""

    def __init__(self, engine: Engine, runner: NodeRunner) -> None:
        self.engine, self.runner = engine, runner

    def start(self, kind: str, who: Principal, work: Callable[[Node], BaseModel]) -> JobPublic:
        job_id = "job-" + uuid.uuid4().hex[:12]
        with self.engine.begin() as conn:
            conn.execute(
                api_job.insert().values(
                    id=job_id, kind=kind, owner=who.subject, state="queued", created_at=_now()
                )
            )
        self.runner.jobs.submit(self._run, job_id, work)
        return self.get(job_id, who)

    def _run(self, job_id: str, work: Callable[[Node], BaseModel]) -> None:
        self._update(job_id, state="running")
        try:
            result = work(self.runner.node)
        except SocleError as exc:
            self._update(job_id, state="failed", error=exc.message, finished_at=_now())
        except Exception as exc:  # type and place only: the message may quote patient data
            log.error(
                "job %s failed: unexpected %s at %s", job_id, type(exc).__name__, crash_place(exc)
            )
            error = "internal error; the server's log has the details"
            self._update(job_id, state="failed", error=error, finished_at=_now())
        else:
            self._update(
                job_id, state="succeeded", finished_at=_now(),
                result=result.model_dump(mode="json"),
            )  # fmt: skip

    def _update(self, job_id: str, **values: Any) -> None:
        with self.engine.begin() as conn:
            conn.execute(api_job.update().where(api_job.c.id == job_id).values(**values))

    def get(self, job_id: str, who: Principal) -> JobPublic:
        """A job of the caller; someone else's is as unknown as a missing one."""
        with self.engine.connect() as conn:
            row = conn.execute(select(api_job).where(api_job.c.id == job_id)).first()
        if row is None or row.owner != who.subject:
            raise NotFoundError(f"no job '{job_id}' of yours")
        return JobPublic(
            id=row.id, kind=row.kind, state=row.state, created_at=row.created_at,
            finished_at=row.finished_at, error=row.error,
            result=row.result,
        )  # fmt: skip
