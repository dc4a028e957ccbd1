"""Jobs: a researcher's script run in the sandbox on an extract of the grant's scoped data.

A job's folder holds ``code/`` (the script and ``params.json``), ``extract/``
(one Parquet file per scoped table, plus any named results asked for),
``output/`` (what the script writes) and ``logs/``. Code and extract are
hashed before the job starts, outputs when it ends; the audit log binds
them to the grant and the actor (the permit chain). A supervisor stops the
job at its wall-clock limit, on cancellation, and as soon as its grant is
revoked or expires. Logs are outputs too: the researcher is shown only the
framework's log (states, limits, file hashes, the error type of a failed
script), never the script's own stdout or stderr.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import select

from socle.errors import SocleError
from socle.workspace import sandbox
from socle.workspace.errors import JobError
from socle.workspace.records import (
    OutputFile,
    sha256_file,
    sha256_tree,
    workspace_job,
    workspace_output,
)

if TYPE_CHECKING:
    from socle.workspace.workspace import Workspace

FINAL = ("succeeded", "failed", "stopped")
_ERROR_LINE = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt|Warning))\b")
_POLL = 0.05


@dataclass(frozen=True)
class Job:
    """A job's record. ``reason`` says why it stopped (limits, cancellation, grant)."""

    id: str
    grant_id: str
    actor: str
    role: str
    state: str
    reason: str
    script: str
    code_sha256: str
    extract_sha256: str
    params: dict[str, Any]
    exit_code: int | None
    created_at: str
    ended_at: str | None
    folder: Path


class Jobs:
    """Starts, supervises, cancels and reports jobs of the workspace."""

    def __init__(self, workspace: Workspace, limits: sandbox.Limits | None = None) -> None:
        self.workspace = workspace
        self.limits = limits or sandbox.Limits()

    # -- starting ---------------------------------------------------------------------------

    def run(
        self,
        grant_id: str,
        script: Path,
        *,
        actor: str,
        params: dict[str, Any] | None = None,
        results: tuple[str, ...] = (),
        output_type: str = "aggregates",
        wait: bool = True,
        limits: sandbox.Limits | None = None,
    ) -> Job:
        """Extract the grant's data, start ``script`` in the sandbox, and (if ``wait``) supervise
        it to the end. Without ``wait`` a thread of this process supervises it."""
        if not script.is_file():
            raise JobError(f"script {script} does not exist")
        if script.suffix not in (".py", ".R"):
            raise JobError(f"script {script.name} is not a Python (.py) or R (.R) file")
        limits = limits or self.limits
        sandbox.bwrap_path()
        if script.suffix == ".R":
            sandbox.rscript_path()
        ws = self.workspace
        job_id = "job-" + uuid.uuid4().hex[:10]
        folder = ws.grant_dir(grant_id) / "jobs" / job_id
        code, extract = folder / "code", folder / "extract"
        code.mkdir(parents=True)
        shutil.copyfile(script, code / script.name)
        (code / "params.json").write_bytes(orjson.dumps(params or {}, option=orjson.OPT_SORT_KEYS))
        used: dict[str, dict[str, str]] = {}
        named: dict[str, Path] = {}
        for name in results:
            result = ws.queries.result(grant_id, name)
            named[name] = result.path
            used[name] = {"id": result.id, "sha256": result.sha256}
        with ws.session(grant_id, output_type, actor=actor) as reader:
            files = reader.export(extract, named)
        if script.suffix == ".R":  # base R reads CSV, not Parquet
            files |= sandbox.csv_copies(files)
        role = ws.role_of(grant_id, actor, output_type)
        code_sha = sha256_tree({p.name: p for p in code.iterdir()})
        extract_sha = sha256_tree(files)
        now = _now()
        with ws.audit.engine.begin() as conn:
            conn.execute(
                workspace_job.insert().values(
                    id=job_id, grant_id=grant_id, output_type=output_type, actor=actor,
                    role=role, state="running", reason="", script=script.name,
                    code_sha256=code_sha, extract_sha256=extract_sha,
                    params=params or {}, results=list(results), limits=limits.as_dict(),
                    folder=str(folder),
                    created_at=now, cancel_requested=False,
                )
            )  # fmt: skip
            ws.audit.append(
                conn, actor=actor, role=role, action="workspace.job.start", object=job_id,
                purpose=ws.governance.grant(grant_id).purpose,
                details={
                    "grant": grant_id, "script": script.name, "code_sha256": code_sha,
                    "extract_sha256": extract_sha, "params": params or {},
                    "results": used, "limits": limits.as_dict(),
                },
            )  # fmt: skip
        try:
            process, started = self._start(folder, script.name, limits)
        except OSError as exc:
            self._finish(
                self.job(job_id), "failed", f"the sandbox did not start: {exc.strerror}", -1
            )
            raise JobError(f"job {job_id}: the sandbox did not start ({exc.strerror})") from exc
        if wait:
            self._supervise(job_id, process, started, limits)
        else:
            threading.Thread(
                target=self._supervise, args=(job_id, process, started, limits), daemon=True
            ).start()
        return self.job(job_id)

    def _start(
        self, folder: Path, script: str, limits: sandbox.Limits
    ) -> tuple[subprocess.Popen[bytes], float]:
        inside = sandbox.INSIDE
        for name in ("output", "tmp", "logs"):
            (folder / name).mkdir(exist_ok=True)
        sandbox.prepare_readable(folder / "code")
        sandbox.prepare_readable(folder / "extract")
        for name in ("output", "tmp"):
            sandbox.prepare_writable(folder / name)
        mounts = [
            *sandbox.runtime_mounts(),
            sandbox.Mount(folder / "extract", inside / "extract"),
            sandbox.Mount(folder / "code", inside / "code"),
            sandbox.Mount(folder / "output", inside / "output", writable=True),
            sandbox.Mount(folder / "tmp", Path("/tmp"), writable=True),
        ]
        if script.endswith(".R"):
            mounts += sandbox.r_mounts()
            argv = [sandbox.rscript_path(), "--vanilla", str(inside / "code" / script)]
        else:
            argv = [sys.executable, "-I", str(inside / "code" / script)]
        self._log(
            folder,
            f"started in the sandbox: {', '.join(f'{k}={v}' for k, v in limits.as_dict().items())}",
        )
        with (
            (folder / "logs" / "stdout.txt").open("wb") as out,
            (folder / "logs" / "stderr.txt").open("wb") as err,
        ):
            process = subprocess.Popen(
                sandbox.command(mounts, argv), stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                env={"PATH": "/usr/bin:/bin"}, preexec_fn=sandbox.limiter(limits),
                start_new_session=True, close_fds=True,
            )  # fmt: skip
        return process, time.monotonic()

    # -- supervising ------------------------------------------------------------------------

    def _supervise(
        self, job_id: str, process: subprocess.Popen[bytes], started: float, limits: sandbox.Limits
    ) -> None:
        """Wait for the job; stop it at the wall clock, on cancellation, or when its grant ends."""
        job = self.job(job_id)
        reason, last_check = "", 0.0
        while process.poll() is None:
            now = time.monotonic()
            if now - started > limits.wall_seconds:
                reason = f"stopped at the wall-clock limit of {limits.wall_seconds} s"
            elif now - last_check >= 1.0:
                last_check = now
                reason = self._stop_reason(job)
            if reason:
                _kill(process)
                break
            time.sleep(_POLL)
        code = process.wait()
        if not reason and code < 0:
            reason = _signal_reason(-code, limits)
        state = "stopped" if reason else ("succeeded" if code == 0 else "failed")
        if state == "failed":
            reason = _error_type(job.folder / "logs" / "stderr.txt")
        self._finish(job, state, reason, code)

    def _stop_reason(self, job: Job) -> str:
        with self.workspace.audit.engine.connect() as conn:
            cancel = conn.execute(
                select(workspace_job.c.cancel_requested).where(workspace_job.c.id == job.id)
            ).scalar()
        if cancel:
            return "cancelled"
        row = self._row(job.id)
        try:
            self.workspace.governance.grant_scope(
                job.grant_id, datetime.now(UTC).date(), row.output_type
            )
        except SocleError as exc:
            return f"stopped because the grant ended: {exc.message}"
        return ""

    def _finish(self, job: Job, state: str, reason: str, code: int) -> None:
        ws = self.workspace
        outputs = _hash_outputs(job.folder)
        self._log(
            job.folder,
            f"ended: {state}" + (f" ({reason})" if reason else "") + f", exit code {code}",
        )
        for out in outputs:
            if out.kind == "file":
                self._log(job.folder, f"output {out.name}: {out.bytes} bytes, sha256 {out.sha256}")
        with ws.audit.engine.begin() as conn:
            conn.execute(
                workspace_job.update().where(workspace_job.c.id == job.id).values(
                    state=state, reason=reason, exit_code=code, ended_at=_now()
                )
            )  # fmt: skip
            conn.execute(workspace_output.delete().where(workspace_output.c.job_id == job.id))
            if outputs:
                conn.execute(
                    workspace_output.insert(),
                    [{"job_id": job.id, "name": o.name, "kind": o.kind, "sha256": o.sha256,
                      "bytes": o.bytes} for o in outputs],
                )  # fmt: skip
            ws.audit.append(
                conn, actor=job.actor, role=job.role, action="workspace.job.end", object=job.id,
                purpose=ws.governance.grant(job.grant_id).purpose,
                outcome=state,
                details={
                    "grant": job.grant_id, "state": state, "reason": reason, "exit_code": code,
                    "outputs": {o.name: o.sha256 for o in outputs},
                },
            )  # fmt: skip

    # -- asking -----------------------------------------------------------------------------

    def cancel(self, job_id: str, *, actor: str) -> Job:
        """Ask the job's supervisor to stop it (within a second); audited."""
        job = self.job(job_id)
        if job.state in FINAL:
            raise JobError(f"job {job_id} has already ended ({job.state})")
        role = self.workspace.role_of(job.grant_id, actor)
        with self.workspace.audit.engine.begin() as conn:
            conn.execute(
                workspace_job.update()
                .where(workspace_job.c.id == job_id)
                .values(cancel_requested=True)
            )
            self.workspace.audit.append(
                conn, actor=actor, role=role, action="workspace.job.cancel", object=job_id,
                details={"grant": job.grant_id},
            )  # fmt: skip
        return self.job(job_id)

    def wait(self, job_id: str, timeout: float = 60.0) -> Job:
        """The job once it has ended (or as it is after ``timeout`` seconds)."""
        deadline = time.monotonic() + timeout
        job = self.job(job_id)
        while job.state not in FINAL and time.monotonic() < deadline:
            time.sleep(0.1)
            job = self.job(job_id)
        return job

    def job(self, job_id: str) -> Job:
        row = self._row(job_id)
        return Job(
            row.id, row.grant_id, row.actor, row.role, row.state, row.reason, row.script,
            row.code_sha256, row.extract_sha256, row.params, row.exit_code,
            row.created_at, row.ended_at, Path(row.folder),
        )  # fmt: skip

    def jobs(self, grant_id: str) -> list[Job]:
        with self.workspace.audit.engine.connect() as conn:
            ids = conn.execute(
                select(workspace_job.c.id)
                .where(workspace_job.c.grant_id == grant_id)
                .order_by(workspace_job.c.created_at)
            ).scalars()
            return [self.job(i) for i in list(ids)]

    def outputs(self, job_id: str) -> list[OutputFile]:
        """The job's output files and logs, with their hashes (what an output request names)."""
        job = self.job(job_id)
        with self.workspace.audit.engine.connect() as conn:
            rows = conn.execute(
                select(workspace_output)
                .where(workspace_output.c.job_id == job_id)
                .order_by(workspace_output.c.name)
            ).all()
        return [
            OutputFile(
                job_id, r.name, r.kind, r.sha256, r.bytes, job.folder / _relative(r.kind, r.name)
            )
            for r in rows
        ]

    def logs(self, job_id: str) -> str:
        """What the researcher may see: the framework's log, never the script's own output."""
        path = self.job(job_id).folder / "logs" / "socle.log"
        return path.read_text() if path.exists() else ""

    def _row(self, job_id: str) -> Any:
        with self.workspace.audit.engine.connect() as conn:
            row = conn.execute(select(workspace_job).where(workspace_job.c.id == job_id)).first()
        if row is None:
            raise JobError(f"no job '{job_id}'")
        return row

    @staticmethod
    def _log(folder: Path, line: str) -> None:
        with (folder / "logs" / "socle.log").open("a") as f:
            f.write(f"{_now()} {line}\n")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _kill(process: subprocess.Popen[bytes]) -> None:
    """Kill the sandbox and everything in it (its own session and PID namespace)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _signal_reason(number: int, limits: sandbox.Limits) -> str:
    if number == signal.SIGXCPU:
        return f"stopped at the CPU limit of {limits.cpu_seconds} s"
    if number == signal.SIGXFSZ:
        return f"stopped: a file exceeded the limit of {limits.file_mb} MB"
    return f"stopped by signal {signal.Signals(number).name}"


def _error_type(stderr: Path) -> str:
    """The exception type of a failed script (its last traceback line), without its message."""
    if not stderr.exists():
        return ""
    for line in reversed(stderr.read_text(errors="replace").splitlines()[-50:]):
        match = _ERROR_LINE.match(line.strip())
        if match:
            kind = match.group(1)
            if kind == "MemoryError":
                return "MemoryError (the job reached its memory limit)"
            return kind
    return "the script exited with an error"


def _hash_outputs(folder: Path) -> list[OutputFile]:
    found = []
    output = folder / "output"
    for path in sorted(p for p in output.rglob("*") if p.is_file() and not p.is_symlink()):
        name = path.relative_to(output).as_posix()
        found.append(OutputFile("", name, "file", sha256_file(path), path.stat().st_size, path))
    for name in ("stdout.txt", "stderr.txt"):
        path = folder / "logs" / name
        if path.exists():
            found.append(OutputFile("", name, "log", sha256_file(path), path.stat().st_size, path))
    return found


def _relative(kind: str, name: str) -> str:
    return f"output/{name}" if kind == "file" else f"logs/{name}"
