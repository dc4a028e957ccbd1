"""Cost of a grant's population restriction (age range, sex) on a cohort query over 1M persons.

Builds, in a temporary directory, a synthetic warehouse of ~1,000,000 persons
by cloning the sample's persons and conditions with SQL (DuckDB), then times
the same cohort query (persons with a condition held by about 30% of them, by
age band and sex) through ``Warehouse.scoped``:

* unrestricted grant (the baseline);
* grant restricted to women aged 18-44 at its start (every scoped view
  semi-joined to the matching persons).

Prints the best of N interleaved rounds and the ratio to the baseline.
Run: ``python benchmarks/run.py population`` (size: ``SOCLE_BENCH_PERSONS``).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from _cohort import build, interleaved

from socle.config import Settings
from socle.node import Node
from socle.warehouse import GrantScope, PersonFilter, Population, Warehouse

REPO = Path(__file__).resolve().parents[1]
PERSONS = int(os.environ.get("SOCLE_BENCH_PERSONS", "1000000"))
REPEAT = 15
COLUMNS = {
    "person": ("year_of_birth", "gender_concept_id"),
    "condition_occurrence": ("condition_source_value",),
}
COHORT = """
SELECT CASE WHEN year(current_date) - p.year_of_birth < 18 THEN '0-17'
            WHEN year(current_date) - p.year_of_birth < 65 THEN '18-64' ELSE '65+' END AS age_band,
       p.gender_concept_id AS sex, count(*) AS persons
FROM scoped_person p
WHERE p.person_id IN (SELECT person_id FROM scoped_condition_occurrence
                      WHERE condition_source_value = ?)
GROUP BY ALL ORDER BY ALL
"""


def run_for(wh: Warehouse, scope: GrantScope, code: str) -> Callable[[], int]:
    """The cohort query through the checkpoint, a session opened per run (as in the workspace)."""
    persons = PersonFilter("research", datetime.now(UTC).date())

    def run() -> int:
        with wh.scoped(scope, persons) as ws:
            return sum(ws.query(COHORT, [code]).column("persons").to_pylist())

    return run


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        node = Node.open(Settings(home=Path(tmp) / "home"))
        node.load(REPO / "data" / "sample", actor="bench")
        path = node.settings.warehouse_path
        node.close()
        t0 = time.perf_counter()
        code = build(path, PERSONS)
        print(f"cloned to {PERSONS:,} persons in {time.perf_counter() - t0:.1f} s", flush=True)
        today = datetime.now(UTC).date()
        women = Population(min_age=18, max_age=44, sex="F")
        wh = Warehouse(path)
        runs = {
            "unrestricted": run_for(wh, GrantScope("all", "research", COLUMNS), code),
            "restricted": run_for(
                wh, GrantScope("women", "research", COLUMNS, population=women, starts=today), code
            ),
        }
        counts = {name: fn() for name, fn in runs.items()}
        assert counts["unrestricted"] > counts["restricted"] > 0, counts
        best = interleaved(runs, REPEAT)
        wh.close()
        print(f"cohort: {counts['unrestricted']:,} persons with {code}; "
              f"{counts['restricted']:,} of them women aged 18-44")  # fmt: skip
        print(f"best of {REPEAT} interleaved rounds:")
        print(f"  unrestricted grant (baseline)   {best['unrestricted'] * 1000:8.1f} ms")
        print(f"  women 18-44 grant               {best['restricted'] * 1000:8.1f} ms  "
              f"({best['restricted'] / best['unrestricted']:.2f}x baseline)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
