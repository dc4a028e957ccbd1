"""The cloned population: a Parquet CDM of N persons made from the 50 real sample patients.

Not a benchmark itself (``run.py`` skips modules whose name starts with ``_``);
``engines.py`` uses it, and it runs alone too::

    .venv/bin/python benchmarks/_clone.py OUT_FOLDER 10000000 [--buckets 64]

How: the 50-patient sample (``data/sample``) is loaded into a DuckDB warehouse
by the ordinary loader (pseudonyms, shifted dates), exported as a Parquet CDM,
then every person is copied ``ceil(N / 50)`` times with a new ``person_id``
(clone ``c`` of sample row ``r`` gets ``c * 50 + r``), with their
``observation_period``, ``visit_occurrence``, ``condition_occurrence`` and
``drug_exposure`` rows (event ids renumbered, dates unchanged). The Parquet is
written straight from DuckDB, table by table, bucketed by person as
``socle warehouse export-parquet`` does; memory stays bounded (DuckDB spills
past its limit), so 10 million persons need disk (about 1.1 GB of Parquet per
million persons), not memory. The clones carry the sample's distributions
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
CLONED = {
    "observation_period": "observation_period_id",
    "visit_occurrence": "visit_occurrence_id",
    "condition_occurrence": "condition_occurrence_id",
    "drug_exposure": "drug_exposure_id",
}


def clone(out: Path, persons: int, *, buckets: int = 16, memory: str = "1GB") -> dict[str, int]:
    """Write a Parquet CDM of ``persons`` persons at ``out``; rows per table."""
    with tempfile.TemporaryDirectory() as tmp:
        node = Node.open(Settings(home=Path(tmp) / "home"))
        node.load(REPO / "data" / "sample", actor="bench")
        seed = node.export_parquet(Path(tmp) / "seed", actor="bench", buckets=1)
        node.close()
        con = duckdb.connect(config={"memory_limit": memory, "temp_directory": f"{tmp}/spill"})
        con.execute(
            f"CREATE TABLE p0 AS SELECT * FROM read_parquet('{seed.files('person')}') ORDER BY 1"
        )
        n = int(con.execute("SELECT count(*) FROM p0").fetchone()[0])  # type: ignore[index]
        copies = -(-persons // n)
        con.execute(
            "CREATE TABLE ids AS SELECT p.person_id AS old, c.range * ? + p.r AS new FROM "
            "(SELECT person_id, row_number() OVER (ORDER BY person_id) AS r FROM p0) p "
            "CROSS JOIN range(?) c WHERE c.range * ? + p.r <= ?",
            [n, copies, n, persons],
        )
        rows: dict[str, int] = {}
        for table in (*CDM, *VOCABULARY_TABLES):
            target = out / table
            target.mkdir(parents=True, exist_ok=True)
            cols = list({**CDM, **VOCABULARY_TABLES}[table])
            if table == "person" or table in CLONED:
                source = f"read_parquet('{seed.files(table)}')" if seed.rows[table] else None
                if source is None:
                    rows[table] = 0
                    continue
                key = CLONED.get(table)
                select = ", ".join(
                    "i.new AS person_id"
                    if c == "person_id"
                    else f"(i.new * 100000 + row_number() OVER (PARTITION BY i.new)) AS {c}"
                    if c == key
                    else f't."{c}"'
                    for c in cols
                )
                bucket = f"((i.new % {buckets}) + {buckets}) % {buckets}"
                con.execute(
                    f"COPY (SELECT {select}, {bucket} AS person_bucket FROM {source} t "
                    f"JOIN ids i ON t.person_id = i.old) TO '{target}' "
                    "(FORMAT parquet, PARTITION_BY (person_bucket), OVERWRITE_OR_IGNORE, "
                    "FILENAME_PATTERN 'part-{i}')"
                )
                rows[table] = int(
                    con.execute(
                        f"SELECT count(*) FROM read_parquet('{target}/*/*.parquet')"
                    ).fetchone()[0]  # type: ignore[index]
                )
            else:
                rows[table] = 0  # other tables stay empty: the cohort queries do not read them
        manifest = {"format": "omop-cdm-5.4-parquet/socle-1", "buckets": buckets, "rows": rows}
        (out / "cdm.json").write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
        con.close()
        return rows


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__)
        return 2
    buckets = int(argv[argv.index("--buckets") + 1]) if "--buckets" in argv else 16
    t0 = time.perf_counter()
    rows = clone(Path(argv[0]), int(argv[1]), buckets=buckets)
    print(f"cloned in {time.perf_counter() - t0:.1f} s: " + ", ".join(
        f"{t} {n:,}" for t, n in rows.items() if n
    ))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
