"""Cost of the workspace's checkpoint on queries, and the start-up cost of a sandboxed job.

Builds, in a temporary directory, a warehouse of ``SOCLE_BENCH_PERSONS`` persons
(default 1,000,000) by cloning the sample with SQL, then measures, the runs
taking turns (best of N):

* query check alone (DuckDB's parser via ``json_serialize_sql`` + the tree walk),
  for three queries of increasing size;
* the same cohort query raw on the tables (baseline) and through a scoped
  reader (checked, on the grant's consent-filtered views): the ratio;
* job start-up: a trivial script run by plain Python (baseline), the same run in
  the bubblewrap sandbox, and a whole job (session, Parquet extract of a
  ``SOCLE_BENCH_JOB_PERSONS``-person grant, hashing, sandbox, output hashing).

Run: ``python benchmarks/run.py workspace`` (``SOCLE_BENCH_ONLY=queries`` or ``jobs`` for one half).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _cohort import build, interleaved

from socle.config import Settings
from socle.governance import ProjectRequest, RequestedVariable, TeamMember
from socle.node import Node
from socle.warehouse import GrantScope, PersonFilter
from socle.workspace import CohortDefinition, ConceptSet, compile_cohort, sandbox

REPO = Path(__file__).resolve().parents[1]
PERSONS = int(os.environ.get("SOCLE_BENCH_PERSONS", "1000000"))
JOB_PERSONS = int(os.environ.get("SOCLE_BENCH_JOB_PERSONS", "100000"))
COLUMNS = {
    "person": ("year_of_birth", "gender_concept_id"),
    "condition_occurrence": (
        "condition_source_value",
        "condition_concept_id",
        "condition_start_date",
    ),
}
COHORT = """
SELECT CASE WHEN year(current_date) - p.year_of_birth < 18 THEN '0-17'
            WHEN year(current_date) - p.year_of_birth < 65 THEN '18-64' ELSE '65+' END AS age_band,
       p.gender_concept_id AS sex, count(*) AS persons
FROM {person} p
WHERE p.person_id IN (SELECT person_id FROM {condition} WHERE condition_source_value = ?)
GROUP BY ALL ORDER BY ALL
"""
ENV = {"PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
TRIVIAL = "import pandas as pd\npd.read_parquet('{extract}/person.parquet').shape\n"


def query_benchmark(home: Path) -> None:
    node = Node.open(Settings(home=home))
    node.load(REPO / "data" / "sample", actor="bench")
    node.close()
    code = build(home / "warehouse.duckdb", PERSONS)
    node = Node.open(Settings(home=home))
    wh = node.warehouse
    scope = GrantScope("bench", "research", COLUMNS)
    persons = PersonFilter("research", datetime.now(UTC).date())
    raw_sql = COHORT.format(person="main.person", condition="main.condition_occurrence")
    scoped_sql = COHORT.format(person="scoped_person", condition="scoped_condition_occurrence")
    cohort_sql = compile_cohort(
        CohortDefinition("c", "condition", ConceptSet(with_descendants=(201826,)), min_age=18)
    )
    cursor = wh._con.cursor()
    with wh.scoped(scope, persons) as ws:
        checks = interleaved(
            {
                "check: one-table SELECT": lambda: ws.check("SELECT count(*) FROM scoped_person"),
                "check: cohort by age and sex": lambda: ws.check(scoped_sql),
                "check: compiled cohort definition": lambda: ws.check(cohort_sql),
            },
            200,
        )
        for name, best in checks.items():
            print(f"{name:<36} {best * 1000:7.2f} ms per query")
        times = interleaved(
            {
                "raw query (baseline)": lambda: cursor.execute(raw_sql, [code]).fetch_arrow_table(),
                "scoped query (checked)": lambda: ws.query(scoped_sql, [code]),
            },
            15,
        )
    base = times["raw query (baseline)"]
    for name, best in times.items():
        print(f"{name:<36} {best * 1000:7.1f} ms  {best / base:5.2f}x  ({PERSONS:,} persons)")
    cursor.close()
    node.close()


def _grant(node: Node) -> str:
    dataset = node.catalog.register(
        node.warehouse, title="bench", description="bench", publisher="bench", actor="bench"
    )
    request = ProjectRequest(
        title="bench", sponsor="bench", team=(TeamMember("bench", "principal_investigator"),),
        purpose="research", public_interest="Benchmark of the workspace.", dataset_id=dataset.id,
        variables=tuple(
            RequestedVariable(t, c, "Needed for the benchmark analysis.")
            for t, cols in COLUMNS.items() for c in cols
        ),
        output_types=("aggregates",),
    )  # fmt: skip
    rid = node.governance.create(request, actor="bench")
    node.governance.submit(rid, actor="bench")
    node.governance.start_review(rid, actor="chair")
    member = node.governance.ensure_member("chair", expertise="methods", actor="bench")
    scores = dict.fromkeys(node.governance.criteria.criteria, 4)
    node.governance.review(rid, member.id, scores=scores, summary="ok", actor="chair")
    node.governance.decide(rid, "approved", reviewers=["chair"], reasons="ok", actor="chair")
    expires = datetime.now(UTC).date() + timedelta(days=30)
    return node.governance.issue_grant(rid, expires=expires, actor="chair").id


def job_benchmark(home: Path) -> None:
    node = Node.open(Settings(home=home))
    node.load(REPO / "data" / "sample", actor="bench")
    node.close()
    build(home / "warehouse.duckdb", JOB_PERSONS)
    node = Node.open(Settings(home=home))
    grant_id = _grant(node)
    first = node.workspace.jobs.run(grant_id, _script(home, "."), actor="bench")
    extract = first.folder / "extract"
    plain = _script(home, str(extract))
    folder = home / "sandboxed"
    for name in ("code", "output", "tmp"):
        (folder / name).mkdir(parents=True, exist_ok=True)
    (folder / "code" / "s.py").write_text(TRIVIAL.format(extract="/job/extract"))
    for name in ("code",):
        sandbox.prepare_readable(folder / name)
    sandbox.prepare_readable(extract)
    for name in ("output", "tmp"):
        sandbox.prepare_writable(folder / name)
    mounts = [
        *sandbox.runtime_mounts(),
        sandbox.Mount(extract, sandbox.INSIDE / "extract"),
        sandbox.Mount(folder / "code", sandbox.INSIDE / "code"),
        sandbox.Mount(folder / "output", sandbox.INSIDE / "output", writable=True),
        sandbox.Mount(folder / "tmp", Path("/tmp"), writable=True),
    ]
    limits = sandbox.Limits()
    job_script = _script(home, "/job/extract")
    times = interleaved(
        {
            "plain python (baseline)": lambda: subprocess.run(
                [sys.executable, "-I", str(plain)], check=True, env=ENV
            ),
            "same script in the sandbox": lambda: subprocess.run(
                sandbox.command(mounts, [sys.executable, "-I", "/job/code/s.py"]),
                check=True,
                preexec_fn=sandbox.limiter(limits),
                env={"PATH": "/usr/bin:/bin"},
            ),
            "whole job (extract + sandbox)": lambda: _run_job(node, grant_id, job_script),
        },
        5,
    )
    base = times["plain python (baseline)"]
    for name, best in times.items():
        print(f"{name:<36} {best * 1000:7.0f} ms  {best / base:5.2f}x  ({JOB_PERSONS:,} persons)")
    node.close()


def _run_job(node: Node, grant_id: str, script: Path) -> None:
    job = node.workspace.jobs.run(grant_id, script, actor="bench")
    assert job.state == "succeeded", job.reason


def _script(home: Path, extract: str) -> Path:
    path = home / f"trivial_{abs(hash(extract))}.py"
    path.write_text(TRIVIAL.format(extract=extract if extract != "." else "/job/extract"))
    return path


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        only = os.environ.get("SOCLE_BENCH_ONLY", "")
        if only in ("", "queries"):
            query_benchmark(Path(tmp) / "q")
        if only in ("", "jobs"):
            job_benchmark(Path(tmp) / "j")
        print(f"(benchmark took {time.perf_counter() - t0:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
