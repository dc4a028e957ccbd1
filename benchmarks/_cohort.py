"""Shared by the cohort benchmarks: a cloned million-person warehouse and fair timing.

Not a benchmark itself (``run.py`` skips modules whose name starts with ``_``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import duckdb


def interleaved(runs: dict[str, Callable[[], object]], rounds: int) -> dict[str, float]:
    """Best time of each run over ``rounds`` rounds, the runs taking turns (fair under load)."""
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(rounds):
        for name, fn in runs.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    return {name: min(ts) for name, ts in times.items()}


def build(path: Path, persons: int) -> str:
    """Clone the loaded sample to ``persons`` persons; return a condition held by about 30% of them."""
    con = duckdb.connect(str(path))
    n = con.execute("SELECT count(*) FROM person").fetchone()[0]  # type: ignore[index]
    copies = -(-persons // n)
    con.execute(
        "CREATE TEMP TABLE ranked AS SELECT person_id, row_number() OVER () AS r FROM person"
    )
    con.execute(f"CREATE TEMP TABLE copies AS SELECT range AS c FROM range({copies})")
    con.execute(
        f"""CREATE TEMP TABLE ids AS SELECT person_id AS old, c * {n} + r AS new
        FROM ranked CROSS JOIN copies WHERE c * {n} + r <= {persons}"""
    )
    con.execute("CREATE TEMP TABLE p0 AS SELECT * FROM person")
    con.execute("CREATE TEMP TABLE c0 AS SELECT * FROM condition_occurrence")
    con.execute("DELETE FROM person")
    con.execute("DELETE FROM condition_occurrence")
    con.execute(
        "INSERT INTO person SELECT p0.* REPLACE (ids.new AS person_id) FROM p0 JOIN ids ON p0.person_id = ids.old"
    )
    con.execute(
        """INSERT INTO condition_occurrence
        SELECT c0.* REPLACE (ids.new AS person_id,
                          ids.new * 10000 + row_number() OVER (PARTITION BY ids.new) AS condition_occurrence_id)
        FROM c0 JOIN ids ON c0.person_id = ids.old"""
    )
    code = con.execute(
        f"""SELECT condition_source_value FROM c0 GROUP BY 1
        ORDER BY abs(count(DISTINCT person_id) - {n} * 0.3), 1 LIMIT 1"""
    ).fetchone()[0]  # type: ignore[index]
    con.close()
    return str(code)
