"""Consent filter overhead on a cohort query over 1,000,000 persons, and bulk recording.

Builds, in a temporary directory, a synthetic warehouse of ~1,000,000 persons
by cloning the sample's persons and conditions with SQL (DuckDB), records
1,000,000 consent events for 'research' in the registry (5% of persons end
excluded: 50,000 objections, and 475,000 objections later withdrawn), then
times the same cohort query (persons with a condition held by about 30% of
them, by age band and sex):

* raw: on the CDM tables, no checkpoint at all (the baseline);
* scoped, no objection: through ``Warehouse.scoped`` with an empty filter;
* scoped, 5% objections: through ``Warehouse.scoped`` with the derived filter.

Prints the best of N interleaved rounds and the ratios (goal: under 1.2x).
Last, times the bulk command's service on 1,000,000 CSV lines of real source
ids (matched through the identity vault), against recording the same number
of events directly.
Run: ``python benchmarks/run.py consent`` (sizes: ``SOCLE_BENCH_PERSONS``).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
from _cohort import build, interleaved

from socle.config import Settings
from socle.consent import ConsentEvent, ConsentService
from socle.demo import source_patient_ids
from socle.node import Node
from socle.warehouse import GrantScope, PersonFilter, Warehouse
from socle.warehouse.warehouse import MEMORY_LIMIT

REPO = Path(__file__).resolve().parents[1]
PERSONS = int(os.environ.get("SOCLE_BENCH_PERSONS", "1000000"))
REPEAT = 15
COHORT = """
SELECT CASE WHEN year(current_date) - p.year_of_birth < 18 THEN '0-17'
            WHEN year(current_date) - p.year_of_birth < 65 THEN '18-64' ELSE '65+' END AS age_band,
       p.gender_concept_id AS sex, count(*) AS persons
FROM {person} p
WHERE p.person_id IN (SELECT person_id FROM {condition} WHERE condition_source_value = ?)
GROUP BY ALL ORDER BY ALL
"""


def scoped_run(wh: Warehouse, persons: PersonFilter, code: str) -> Callable[[], int]:
    """The cohort query through the checkpoint (a session opened per run, as in the workspace)."""
    scope = GrantScope(
        "bench",
        "research",
        {
            "person": ("year_of_birth", "gender_concept_id"),
            "condition_occurrence": ("condition_source_value",),
        },
    )
    sql = COHORT.format(person="scoped_person", condition="scoped_condition_occurrence")

    def run() -> int:
        with wh.scoped(scope, persons) as ws:
            return sum(ws.query(sql, [code]).column("persons").to_pylist())

    return run


def bulk(node: Node, tmp: Path) -> tuple[float, int]:
    """``socle consent bulk``'s service on PERSONS lines of real source ids (via the vault)."""
    ids = source_patient_ids(REPO / "data" / "sample")
    path = tmp / "registry.csv"
    with path.open("w") as f:
        f.write("patient\n")
        f.writelines(f"{ids[i % len(ids)]}\n" for i in range(PERSONS))
    t0 = time.perf_counter()
    n = ConsentService.for_node(node).bulk_load(path, purposes=["ai_training"], actor="bench")
    return time.perf_counter() - t0, n


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        node = Node.open(Settings(home=home))
        t0 = time.perf_counter()
        node.load(REPO / "data" / "sample", actor="bench")
        print(f"sample loaded in {time.perf_counter() - t0:.1f} s", flush=True)
        node.warehouse.close()
        t0 = time.perf_counter()
        code = build(node.settings.warehouse_path, PERSONS)
        print(f"cloned to {PERSONS:,} persons in {time.perf_counter() - t0:.1f} s", flush=True)

        today = datetime.now(UTC).date()
        earlier = today - timedelta(days=30)
        objectors = PERSONS // 20
        withdrawn = (PERSONS - objectors) // 2
        events = [
            ConsentEvent(p, "research", "objection", today, "registry_sync", "bench")
            for p in range(1, objectors + 1)
        ]
        for p in range(objectors + 1, objectors + 1 + withdrawn):
            events.append(
                ConsentEvent(p, "research", "objection", earlier, "registry_sync", "bench")
            )
            events.append(
                ConsentEvent(p, "research", "withdraw_objection", today, "registry_sync", "bench")
            )
        t0 = time.perf_counter()
        node.consent.record(events, actor="bench", role="data_steward")
        record_s = time.perf_counter() - t0
        print(f"recorded {len(events):,} consent events in {record_s:.1f} s "
              f"({len(events) / record_s:,.0f} events/s)", flush=True)  # fmt: skip
        t0 = time.perf_counter()
        persons = node.consent.person_filter("research", today)
        derive_s = time.perf_counter() - t0
        excluded = len(persons.excluded_person_ids)
        print(f"derived the filter from {len(events):,} events in {derive_s:.2f} s "
              f"({excluded:,} persons excluded)", flush=True)  # fmt: skip

        wh = Warehouse(node.settings.warehouse_path)
        # Same database, no checkpoint; DuckDB wants the same configuration as the open one.
        raw_con = duckdb.connect(
            str(node.settings.warehouse_path), config={"memory_limit": MEMORY_LIMIT}
        )
        raw_sql = COHORT.format(person="person", condition="condition_occurrence")
        runs: dict[str, Callable[[], int]] = {
            "raw": lambda: sum(int(r[2]) for r in raw_con.execute(raw_sql, [code]).fetchall()),
            "empty": scoped_run(wh, PersonFilter("research", today), code),
            "filtered": scoped_run(wh, persons, code),  # type: ignore[arg-type]
        }
        counts = {name: fn() for name, fn in runs.items()}
        assert counts["raw"] == counts["empty"] > counts["filtered"], counts
        best_s = interleaved(runs, REPEAT)
        raw_con.close()
        wh.close()
        bulk_s, bulk_n = bulk(node, Path(tmp))
        node.vault.close()
        node.engine.dispose()
        raw_s, empty_s, filt_s = best_s["raw"], best_s["empty"], best_s["filtered"]
        print(f"cohort: {counts['raw']:,} persons with {code}; "
              f"{counts['raw'] - counts['filtered']:,} removed by consent")  # fmt: skip
        print(f"best of {REPEAT} interleaved rounds:")
        print(f"  raw query, no checkpoint        {raw_s * 1000:8.1f} ms")
        print(
            f"  scoped, no objection (baseline) {empty_s * 1000:8.1f} ms  ({empty_s / raw_s:.2f}x raw)"
        )
        print(
            f"  scoped, 5% objections           {filt_s * 1000:8.1f} ms  ({filt_s / raw_s:.2f}x raw)"
        )
        print(f"consent filter overhead: {filt_s / empty_s:.2f}x the same scoped query without "
              f"objections; {filt_s / raw_s:.2f}x the raw query (goal < 1.2x)")  # fmt: skip
        print(f"bulk command path: {bulk_n:,} CSV lines matched through the vault and recorded "
              f"in {bulk_s:.1f} s ({bulk_n / bulk_s:,.0f} lines/s); "
              f"{bulk_s / record_s:.2f}x recording the same number of events directly")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
