"""Cohort queries through the checkpoint on DuckDB and on Spark local mode, on a cloned Parquet CDM.

Clones the 50 sample patients to ``SOCLE_BENCH_PERSONS`` persons (default
200,000) as a Parquet CDM partitioned by person (``_clone.py``; or reuse one:
``SOCLE_BENCH_CDM=folder``), then, in one child process per engine, runs three
cohort queries, interleaved, in three variants:

* ``raw``: the query on the CDM tables, no checkpoint (the baseline);
* ``scoped``: through the checkpoint (:class:`EngineReader`), nobody objecting;
* ``filtered``: through the checkpoint with 5% of persons objecting.

A checkpoint session is opened per query, as the workspace does. Prints the
best elapsed and best CPU time of each (CPU: this process plus the Spark JVM,
the figure to read on a shared machine), the load average, the consent-filter
overhead (filtered / raw, goal ≤ 1.2×) and the peak memory of the engine
(DuckDB: the process; Spark: driver JVM + Python). Run: ``python benchmarks/run.py engines``; the 10-million-person run:
``SOCLE_BENCH_PERSONS=10000000 SOCLE_BENCH_BUCKETS=64 python benchmarks/run.py engines``.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from _clone import clone

from socle.warehouse import (
    DuckDBEngine,
    Engine,
    EngineReader,
    GrantScope,
    PersonFilter,
    SparkEngine,
    open_cdm,
    spark_session,
)
from socle.workspace import CohortDefinition, compile_cohort

PERSONS = int(os.environ.get("SOCLE_BENCH_PERSONS", "200000"))
BUCKETS = int(os.environ.get("SOCLE_BENCH_BUCKETS", "16"))
ROUNDS = {"duckdb": 5, "spark": 3}  # SOCLE_BENCH_ROUNDS=spark=2 to shorten one engine's
ROUNDS.update(
    (k, int(v))
    for k, v in (x.split("=") for x in os.environ.get("SOCLE_BENCH_ROUNDS", "").split(",") if x)
)
ENGINES = os.environ.get("SOCLE_BENCH_ENGINES", "duckdb,spark").split(",")
COLUMNS = {
    "person": ("year_of_birth", "gender_concept_id"),
    "condition_occurrence": ("condition_source_value", "condition_start_date"),
    "drug_exposure": ("drug_source_value",),
    "observation_period": ("observation_period_start_date", "observation_period_end_date"),
}
BY_AGE_SEX = """
SELECT CASE WHEN year(current_date) - p.year_of_birth < 18 THEN '0-17'
            WHEN year(current_date) - p.year_of_birth < 65 THEN '18-64' ELSE '65+' END AS age_band,
       p.gender_concept_id AS sex, count(*) AS persons
FROM scoped_person p
WHERE p.person_id IN (SELECT person_id FROM scoped_condition_occurrence
                      WHERE condition_source_value = '{code}')
GROUP BY ALL ORDER BY ALL
"""
DRUGS = """
SELECT count(DISTINCT d.drug_source_value) AS drugs, count(*) AS exposures
FROM scoped_drug_exposure d
WHERE d.person_id IN (SELECT person_id FROM scoped_condition_occurrence
                      WHERE condition_source_value = '{code}')
"""


def queries(code: str) -> dict[str, str]:
    cohort = CohortDefinition(
        "bench", "condition", source_codes=(code,), prior_observation_days=365
    )
    return {
        "by_age_sex": BY_AGE_SEX.format(code=code),
        "cohort": f"SELECT count(*) AS members FROM ({compile_cohort(cohort)}) c",
        "drugs": DRUGS.format(code=code),
    }


def through(engine: Engine, scope: GrantScope, persons: PersonFilter | None, sql: str) -> object:
    if persons is None:  # raw: the engine's tables, no checkpoint
        session = engine.session()
        try:
            return session.run(sql.replace("scoped_", "")).to_pylist()
        finally:
            session.close()
    reader = EngineReader(engine, scope, persons, timeout=3600)
    try:
        return reader.query(sql).to_pylist()
    finally:
        reader.close()


def _jvm_pid(engine: Engine) -> int | None:
    if isinstance(engine, SparkEngine):
        return int(engine.spark.sparkContext._gateway.proc.pid)  # type: ignore[union-attr]
    return None


def cpu_s(engine: Engine) -> float:
    """CPU seconds used so far by the engine: this process (DuckDB's threads are in it), plus
    the JVM for Spark. Unlike elapsed time, it does not count the other users' load."""
    own = time.process_time()
    jvm = _jvm_pid(engine)
    if jvm is None:
        return own
    fields = Path(f"/proc/{jvm}/stat").read_text().rsplit(")", 1)[1].split()
    return own + (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def interleaved(
    runs: dict[str, Callable[[], object]], rounds: int, engine: Engine
) -> tuple[dict[str, float], dict[str, float]]:
    """Best elapsed and best CPU time of each run, the runs taking turns (fair under load)."""
    wall: dict[str, list[float]] = {name: [] for name in runs}
    cpu: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(rounds):
        for name, fn in runs.items():
            t0, c0 = time.perf_counter(), cpu_s(engine)
            fn()
            wall[name].append(time.perf_counter() - t0)
            cpu[name].append(cpu_s(engine) - c0)
    return {n: min(ts) for n, ts in wall.items()}, {n: min(ts) for n, ts in cpu.items()}


def peak_mib(engine: Engine) -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    jvm = _jvm_pid(engine)
    if jvm is not None:
        status = Path(f"/proc/{jvm}/status").read_text()
        hwm = next(line for line in status.splitlines() if line.startswith("VmHWM"))
        return own + int(hwm.split()[1]) / 1024
    return own


def child(kind: str, folder: Path, code: str) -> dict[str, object]:
    cdm = open_cdm(folder)
    t0 = time.perf_counter()
    engine: Engine = (
        DuckDBEngine(cdm, memory_limit="2GB", threads=2)
        if kind == "duckdb"
        else SparkEngine(
            cdm, spark_session("local[2]", shuffle_partitions=2 * BUCKETS, driver_memory="3g")
        )
    )
    start = time.perf_counter() - t0
    today = datetime.now(UTC).date()
    scope = GrantScope("bench", "research", COLUMNS)
    persons = cdm.rows["person"]
    variants = {
        "raw": None,
        "scoped": PersonFilter("research", today),
        "filtered": PersonFilter(
            "research", today, excluded_person_ids=frozenset(range(20, persons + 1, 20))
        ),
    }
    runs = {
        f"{q}/{v}": (lambda s=sql, f=filt: through(engine, scope, f, s))
        for q, sql in queries(code).items()
        for v, filt in variants.items()
    }
    answers = {name: fn() for name, fn in runs.items()}  # warm-up, and the results
    for q in queries(code):
        assert answers[f"{q}/raw"] == answers[f"{q}/scoped"], q
        assert answers[f"{q}/filtered"] != answers[f"{q}/raw"], q
    best, cpu = interleaved(runs, ROUNDS[kind], engine)
    return {
        "engine": kind,
        "start_s": start,
        "best_s": best,
        "cpu_s": cpu,
        "peak_mib": peak_mib(engine),
        "load": os.getloadavg(),
    }


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        result = child(sys.argv[2], Path(sys.argv[3]), sys.argv[4])
        print("RESULT " + json.dumps(result), flush=True)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(os.environ.get("SOCLE_BENCH_CDM") or Path(tmp) / "cdm")
        if not (folder / "cdm.json").is_file():
            t0 = time.perf_counter()
            rows = clone(folder, PERSONS, buckets=BUCKETS)
            print(
                f"cloned {rows['person']:,} persons, {rows['condition_occurrence']:,} conditions, "
                f"{rows['drug_exposure']:,} drug exposures in {time.perf_counter() - t0:.1f} s "
                f"({_size(folder)} MiB of Parquet)", flush=True,
            )  # fmt: skip
        code = _common_code(folder)
        for kind in ENGINES:
            out = subprocess.run(
                [sys.executable, __file__, "--child", kind, str(folder), code],
                capture_output=True, text=True, check=False,
            )  # fmt: skip
            line = next((x for x in out.stdout.splitlines() if x.startswith("RESULT ")), None)
            if line is None:
                print(out.stdout[-2000:], out.stderr[-4000:])
                return 1
            _report(json.loads(line[7:]))
    return 0


def _common_code(folder: Path) -> str:
    """A condition held by about 30% of persons (the cohort the queries select)."""
    cdm = open_cdm(folder)
    engine = DuckDBEngine(cdm)
    session = engine.session()
    row = session.run(
        "SELECT condition_source_value FROM condition_occurrence GROUP BY 1 ORDER BY "
        f"abs(count(DISTINCT person_id) - {cdm.rows['person']} * 0.3), 1 LIMIT 1"
    ).to_pylist()[0]
    session.close()
    engine.close()
    return str(row["condition_source_value"])


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*.parquet")) // 2**20


def _report(result: dict[str, object]) -> None:
    load = ", ".join(f"{x:.1f}" for x in result["load"])  # type: ignore[attr-defined]
    print(f"\n{result['engine']}: engine start {result['start_s']:.1f} s, "
          f"peak memory {result['peak_mib']:.0f} MiB, load average {load}")  # fmt: skip
    for label, key in (("elapsed", "best_s"), ("CPU", "cpu_s")):
        best: dict[str, float] = result[key]  # type: ignore[assignment]
        print(f"{label:<12} {'raw':>9} {'scoped':>9} {'filtered':>9} {'filter/raw':>11}")
        for q in ("by_age_sex", "cohort", "drugs"):
            raw, scoped, filtered = (best[f"{q}/{v}"] for v in ("raw", "scoped", "filtered"))
            print(
                f"{q:<12} {raw:>8.3f}s {scoped:>8.3f}s {filtered:>8.3f}s {filtered / raw:>10.2f}x",
                flush=True,  # one engine's figures are kept if the next one is stopped
            )


if __name__ == "__main__":
    sys.exit(main())
