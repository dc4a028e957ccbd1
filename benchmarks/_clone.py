"""The cloned population: a Parquet CDM of N persons made from the 50 real sample patients.

Not a benchmark itself (``run.py`` skips modules whose name starts with ``_``);
``engines.py`` uses it, and it runs alone too::

    .venv/bin/python benchmarks/_clone.py OUT_FOLDER 10000000 [--buckets 64] [--visits]

How: the 50-patient sample (``data/sample``) is loaded into a DuckDB warehouse
by the ordinary loader (pseudonyms, shifted dates), exported as a Parquet CDM,
then every person is copied ``ceil(N / 50)`` times in bulk, one SQL statement
per table: the seed rows cross joined with ``range(copies)``, clone ``c`` of
sample person ``r`` getting ``person_id = c * 50 + r`` and event ids
``c * rows + k`` (no window, no Python loop), its event dates moved by
``(c mod 61) - 30`` days (one shift per person: intervals are kept). Cloned:
``observation_period``, ``condition_occurrence``, ``drug_exposure`` (and
``visit_occurrence`` with ``--visits``: the largest table, not read by the
cohort queries). The Parquet is written straight from DuckDB, bucketed by
person as ``socle warehouse export-parquet`` does; memory stays bounded
(DuckDB spills past its limit), so 10 million persons need disk (about 0.7 GB
of Parquet per million persons, 1.1 GB with visits), not memory. Measured:
100,000 persons with visits in 17 s on a quiet 2-core machine; 1 million
without visits in 91 s of CPU. The clones carry the sample's distributions
(ages, sexes, conditions), not new variety: fit for timing, not for research.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import duckdb
import orjson

from socle.config import Settings
from socle.node import Node
from socle.warehouse import CDM, VOCABULARY_TABLES

REPO = Path(__file__).resolve().parents[1]
CLONED = {  # table → its id; visits are cloned only on request (the cohort queries skip them)
    "observation_period": "observation_period_id",
    "visit_occurrence": "visit_occurrence_id",
    "condition_occurrence": "condition_occurrence_id",
    "drug_exposure": "drug_exposure_id",
}
JITTER = 30  # clone c's event dates move by (c mod 61) - 30 days


def clone(
    out: Path, persons: int, *, buckets: int = 16, memory: str = "2GB", visits: bool = False
) -> dict[str, int]:
    """Write a Parquet CDM of ``persons`` persons at ``out``; rows per table."""
    with tempfile.TemporaryDirectory() as tmp:
        node = Node.open(Settings(home=Path(tmp) / "home"))
        node.load(REPO / "data" / "sample", actor="bench")
        seed = node.export_parquet(Path(tmp) / "seed", actor="bench", buckets=1)
        node.close()
        con = duckdb.connect(
            config={
                "memory_limit": memory,
                "temp_directory": f"{tmp}/spill",
                "preserve_insertion_order": "false",
            }
        )
        con.execute(
            "CREATE TABLE seed_ids AS SELECT person_id AS old, "
            "row_number() OVER (ORDER BY person_id) AS r "
            f"FROM read_parquet('{seed.files('person')}')"
        )
        n = int(con.execute("SELECT count(*) FROM seed_ids").fetchone()[0])  # type: ignore[index]
        copies = -(-persons // n)
        rows: dict[str, int] = {}
        for table in (*CDM, *VOCABULARY_TABLES):
            target = out / table
            target.mkdir(parents=True, exist_ok=True)
            wanted = table == "person" or table in CLONED
            if not wanted or not seed.rows[table] or (table == "visit_occurrence" and not visits):
                rows[table] = 0  # other tables stay empty: the cohort queries do not read them
                continue
            con.execute(
                f"CREATE OR REPLACE TABLE seed AS SELECT t.*, s.r AS _r, row_number() OVER () AS _k "
                f"FROM read_parquet('{seed.files(table)}') t JOIN seed_ids s ON t.person_id = s.old"
            )
            select = ", ".join(
                _cloned(con, table, c, kind, n) for c, kind in seed.columns(table).items()
            )
            bucket = f"((c.range * {n} + t._r) % {buckets})"
            con.execute(
                f"COPY (SELECT {select}, {bucket} AS person_bucket FROM seed t "
                f"CROSS JOIN range({copies}) c WHERE c.range * {n} + t._r <= {persons}) "
                f"TO '{target}' (FORMAT parquet, PARTITION_BY (person_bucket), "
                "OVERWRITE_OR_IGNORE, FILENAME_PATTERN 'part-{i}')"
            )
            rows[table] = int(
                con.execute(  # clones of seed person r: those c with c * n + r <= persons
                    f"SELECT coalesce(sum(({persons} - _r) // {n} + 1), 0) FROM seed "
                    f"WHERE _r <= {persons}"
                ).fetchone()[0]  # type: ignore[index]
            )
        manifest = {"format": "omop-cdm-5.4-parquet/socle-1", "buckets": buckets, "rows": rows}
        (out / "cdm.json").write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
        con.close()
        return rows


def _cloned(con: duckdb.DuckDBPyConnection, table: str, column: str, kind: str, n: int) -> str:
    """The SQL of ``column`` in clone ``c.range`` of seed row ``t``: ids by arithmetic, dates
    shifted by the clone's jitter (the same for all of a person's rows: intervals are kept)."""
    if column == "person_id":
        return f"c.range * {n} + t._r AS person_id"
    if column == CLONED.get(table):
        stride = int(con.execute("SELECT count(*) FROM seed").fetchone()[0])  # type: ignore[index]
        return f'c.range * {stride} + t._k AS "{column}"'
    if table != "person" and kind in ("DATE", "TIMESTAMP"):
        return f'CAST(t."{column}" + to_days(CAST(c.range % {2 * JITTER + 1} - {JITTER} AS INTEGER)) AS {kind}) AS "{column}"'
    return f't."{column}"'


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__)
        return 2
    buckets = int(argv[argv.index("--buckets") + 1]) if "--buckets" in argv else 16
    t0 = time.perf_counter()
    rows = clone(Path(argv[0]), int(argv[1]), buckets=buckets, visits="--visits" in argv)
    print(f"cloned in {time.perf_counter() - t0:.1f} s: " + ", ".join(
        f"{t} {n:,}" for t, n in rows.items() if n
    ))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
