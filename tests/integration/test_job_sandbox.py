"""Researchers' jobs in the bubblewrap sandbox: real runs, real escape attempts, real limits."""

from __future__ import annotations

import json
import os
import shutil
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from socle.config import Settings
from socle.governance import GrantError
from socle.node import Node
from socle.workspace import Limits
from tests.conftest import SAMPLE, loaded_home
from tests.helpers import approved_grant

CANARY = "socle-canary-7f3a"


@pytest.fixture(scope="module")
def granted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Node, str]]:
    """A node with five real patients and a research grant of three columns."""
    node = Node.open(Settings(home=loaded_home(tmp_path_factory, bundles=5)))
    yield node, approved_grant(node)
    node.close()


def _script(tmp_path: Path, body: str, name: str = "analysis.py") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(body))
    return path


def test_job_reads_its_extract_and_writes_hashed_outputs(
    granted: tuple[Node, str], tmp_path: Path
) -> None:
    node, grant_id = granted
    script = _script(
        tmp_path,
        """
        import json, pandas as pd
        persons = pd.read_parquet("/job/extract/person.parquet")
        params = json.load(open("/job/code/params.json"))
        conditions = pd.read_parquet("/job/extract/condition_occurrence.parquet")
        counts = conditions.merge(persons, on="person_id").groupby("gender_concept_id").person_id.nunique()
        counts.rename("persons").to_csv("/job/output/counts.csv")
        open("/job/output/note.txt", "w").write(params["label"])
        """,
    )
    job = node.workspace.jobs.run(grant_id, script, actor="researcher", params={"label": "v1"})
    assert job.state == "succeeded", job.reason
    outputs = {o.name: o for o in node.workspace.jobs.outputs(job.id)}
    assert {"counts.csv", "note.txt", "stdout.txt", "stderr.txt"} <= set(outputs)
    assert outputs["note.txt"].path.read_text() == "v1"
    start = next(e for e in node.audit.events("workspace.job.start") if e.object == job.id)
    end = next(e for e in node.audit.events("workspace.job.end") if e.object == job.id)
    assert start.role == "principal_investigator" and start.details["grant"] == grant_id
    assert start.details["code_sha256"] == job.code_sha256 and len(job.extract_sha256) == 64
    assert start.details["params"] == {"label": "v1"}
    assert end.details["outputs"]["counts.csv"] == outputs["counts.csv"].sha256


def test_every_escape_attempt_is_refused(
    granted: tuple[Node, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    node, grant_id = granted
    monkeypatch.setenv("SOCLE_SANDBOX_CANARY", CANARY)  # in the node's environment
    home = node.settings.home.resolve()
    script = _script(
        tmp_path,
        """
        import json, os, socket, subprocess
        params = json.load(open("/job/code/params.json"))
        attempts = {}
        def attempt(name, action):
            try:
                action()
                attempts[name] = "allowed"
            except Exception as exc:
                attempts[name] = type(exc).__name__
        attempt("socket", lambda: socket.create_connection(("1.1.1.1", 53), timeout=2))
        attempt("dns", lambda: socket.getaddrinfo("pypi.org", 443))
        attempt("node_home", lambda: os.listdir(params["home"]))
        attempt("pseudonym_key", lambda: open(params["home"] + "/secrets/pseudonym.key", "rb").read())
        attempt("warehouse", lambda: open(params["home"] + "/warehouse.duckdb", "rb").read(1))
        attempt("root_ssh", lambda: os.listdir("/root/.ssh"))
        attempt("work_tree", lambda: os.listdir("/work/shared"))
        attempt("etc_passwd", lambda: open("/etc/passwd").read())
        attempt("write_code", lambda: open("/job/code/x.py", "w").write("x"))
        attempt("write_extract", lambda: open("/job/extract/person.parquet", "ab").write(b"x"))
        attempt("write_usr", lambda: open("/usr/x", "w").write("x"))
        attempt("write_root", lambda: open("/x", "w").write("x"))
        attempt("pid1_environ", lambda: open("/proc/1/environ", "rb").read())
        try:  # any process of the sandbox it can read: none carries the node's environment
            environs = [open(f"/proc/{p}/environ", "rb").read().decode(errors="replace")
                        for p in os.listdir("/proc") if p.isdigit()]
        except OSError:
            environs = []
        attempts["canary_in_pid1_environ"] = any(params["canary"] in e for e in environs)
        attempts["canary_in_own_environ"] = params["canary"] in str(os.environ)
        attempts["processes_visible"] = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
        attempts["uid"] = os.getuid()
        json.dump(attempts, open("/job/output/attempts.json", "w"))
        """,
    )
    job = node.workspace.jobs.run(
        grant_id, script, actor="researcher", params={"home": str(home), "canary": CANARY}
    )
    assert job.state == "succeeded", job.reason
    attempts = json.loads((job.folder / "output" / "attempts.json").read_text())
    refused = {k: v for k, v in attempts.items() if isinstance(v, str)}
    assert "allowed" not in refused.values(), refused
    assert attempts["canary_in_pid1_environ"] is False
    assert attempts["canary_in_own_environ"] is False
    assert max(attempts["processes_visible"]) < 10  # its own PID namespace, not the node's
    assert attempts["uid"] != 0
    assert not (home / "x.py").exists() and "x.py" not in os.listdir(job.folder / "code")


def test_fork_bomb_is_contained_and_the_node_keeps_working(
    granted: tuple[Node, str], tmp_path: Path
) -> None:
    node, grant_id = granted
    script = _script(
        tmp_path,
        """
        import os
        while True:
            try:
                os.fork()
            except OSError:
                pass
        """,
    )
    limits = Limits(cpu_seconds=20, memory_mb=512, wall_seconds=3, processes=16)
    job = node.workspace.jobs.run(grant_id, script, actor="researcher", limits=limits)
    assert job.state == "stopped" and "wall-clock" in job.reason
    deadline = time.monotonic() + 10  # the kernel tears the PID namespace down asynchronously
    while _job_processes(job.folder) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _job_processes(job.folder) == []
    assert node.warehouse.table_counts()["person"] == 5


def test_job_past_its_memory_limit_fails_with_a_memory_error(
    granted: tuple[Node, str], tmp_path: Path
) -> None:
    node, grant_id = granted
    script = _script(tmp_path, "block = bytearray(2 * 1024 ** 3)\n")
    limits = Limits(cpu_seconds=20, memory_mb=256, wall_seconds=30)
    job = node.workspace.jobs.run(grant_id, script, actor="researcher", limits=limits)
    assert job.state == "failed" and job.reason.startswith("MemoryError")


def test_logs_show_framework_messages_never_the_scripts_output(
    granted: tuple[Node, str], tmp_path: Path
) -> None:
    node, grant_id = granted
    script = _script(
        tmp_path,
        """
        import pandas as pd
        first = pd.read_parquet("/job/extract/person.parquet").person_id.iloc[0]
        print("person", first)
        raise ValueError(f"bad person {first}")
        """,
    )
    job = node.workspace.jobs.run(grant_id, script, actor="researcher")
    assert job.state == "failed" and job.reason == "ValueError"
    logs = node.workspace.jobs.logs(job.id)
    assert "ValueError" in logs and "started in the sandbox" in logs
    assert "bad person" not in logs and "person " not in logs.replace("person.parquet", "")
    stderr = next(o for o in node.workspace.jobs.outputs(job.id) if o.name == "stderr.txt")
    assert stderr.kind == "log" and "bad person" in stderr.path.read_text()


def test_cancelled_job_stops(granted: tuple[Node, str], tmp_path: Path) -> None:
    node, grant_id = granted
    script = _script(tmp_path, "import time\ntime.sleep(60)\n")
    job = node.workspace.jobs.run(grant_id, script, actor="researcher", wait=False)
    node.workspace.jobs.cancel(job.id, actor="researcher")
    ended = node.workspace.jobs.wait(job.id, timeout=40)  # well before the script's 60 s
    assert ended.state == "stopped" and ended.reason == "cancelled"


def test_revoked_grant_stops_running_jobs_and_refuses_new_ones(tmp_path: Path) -> None:
    node = Node.open(Settings(home=tmp_path / "home"))
    try:
        (tmp_path / "input").mkdir()
        shutil.copy(sorted(SAMPLE.glob("*.json.gz"))[0], tmp_path / "input")
        node.load(tmp_path / "input", actor="steward")
        grant_id = approved_grant(node)
        script = _script(tmp_path, "import time\ntime.sleep(60)\n")
        job = node.workspace.jobs.run(grant_id, script, actor="researcher", wait=False)
        node.governance.revoke_grant(grant_id, actor="chair", reason="breach")
        ended = node.workspace.jobs.wait(job.id, timeout=40)  # well before the script's 60 s
        assert ended.state == "stopped" and "revoked" in ended.reason
        with pytest.raises(GrantError, match="revoked"):
            node.workspace.jobs.run(grant_id, script, actor="researcher")
    finally:
        node.close()


def _job_processes(folder: Path) -> list[Path]:
    """Processes still running from the job's sandbox (by their command line)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if str(folder) in cmdline.read_text():
                found.append(cmdline)
        except OSError:
            continue
    return found


def test_node_environment_keeps_no_trace_of_the_job() -> None:
    assert os.environ.get("SOCLE_SANDBOX_CANARY") is None


R_JOB = """
persons <- read.csv("/job/extract/person.csv")
params <- readLines("/job/code/params.json")
counts <- table(persons$gender_concept_id)
write.csv(as.data.frame(counts), "/job/output/by_sex.csv", row.names = FALSE)
try_it <- function(expr) tryCatch({ force(expr); "allowed" }, error = function(e) "refused",
                                  warning = function(w) "refused")
home <- sub('.*"home": "([^"]*)".*', "\\\\1", paste(params, collapse = ""))
attempts <- c(
  socket = try_it(socketConnection("1.1.1.1", 53, timeout = 2)),
  node_home = try_it(stopifnot(length(list.files(home)) > 0)),
  key = try_it(readBin(file.path(home, "secrets", "pseudonym.key"), "raw", 32)),
  write_extract = try_it(writeLines("x", "/job/extract/person.csv")),
  write_usr = try_it(writeLines("x", "/usr/x")),
  pid1_environ = try_it(readBin("/proc/1/environ", "raw", 10))
)
writeLines(paste(names(attempts), attempts, sep = "=", collapse = "\\n"), "/job/output/attempts.txt")
"""


@pytest.mark.skipif(shutil.which("Rscript") is None, reason="R (r-base-core) is not installed")
def test_r_job_reads_its_csv_extract_and_cannot_escape(
    granted: tuple[Node, str], tmp_path: Path
) -> None:
    node, grant_id = granted
    home = node.settings.home.resolve()
    script = _script(tmp_path, R_JOB, name="analysis.R")
    job = node.workspace.jobs.run(grant_id, script, actor="researcher", params={"home": str(home)})
    assert job.state == "succeeded", job.reason
    table = (job.folder / "output" / "by_sex.csv").read_text()
    assert table.startswith('"Var1","Freq"') and len(table.splitlines()) >= 2
    attempts = dict(
        line.split("=") for line in (job.folder / "output" / "attempts.txt").read_text().split()
    )
    assert set(attempts.values()) == {"refused"}, attempts
    assert (job.folder / "extract" / "person.parquet").exists()  # both forms, one hash
