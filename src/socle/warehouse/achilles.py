"""OHDSI Achilles on the warehouse, through the ``duckcdm`` package (Achilles SQL on DuckDB).

Results go to the warehouse's ``results`` schema (``achilles_results``,
``achilles_results_dist``, ``achilles_result_concept_count``), as the Achilles R
package writes them, so OHDSI tools (ATLAS data sources) read them unchanged.
Counts below the node's small-cell threshold are removed by Achilles itself.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import duckdb


@dataclass(frozen=True)
class AchillesRun:
    analyses: int
    failed: list[tuple[int, str]] = field(default_factory=list)
    concepts_with_records: int = 0
    seconds: float = 0.0


def run_achilles(con: duckdb.DuckDBPyConnection, *, small_cell: int) -> AchillesRun:
    from duckcdm.achilles import run_achilles as achilles  # lazy: a large SQL library

    started = time.monotonic()
    done, failed = achilles(
        con,
        cdm_schema="main",
        results_schema="results",
        source_name="Socle warehouse",
        cdm_version="5.4",
        small_cell_count=small_cell,
        log=None,
    )
    row = con.execute(
        "SELECT count(*) FROM results.achilles_result_concept_count "
        "WHERE record_count > 0 AND concept_id <> '0'"
    ).fetchone()
    return AchillesRun(
        analyses=len(done) + len(failed),
        failed=[(int(a), str(e)) for a, e in failed],
        concepts_with_records=int(row[0]) if row else 0,
        seconds=time.monotonic() - started,
    )
