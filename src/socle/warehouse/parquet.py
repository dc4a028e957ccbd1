"""The warehouse as an OMOP CDM in Parquet: one folder per table, patient tables split by person.

Layout of an export (``<folder>/cdm.json`` describes it)::

    <folder>/cdm.json                              format, buckets, rows per table
    <folder>/person/person_bucket=0/part-*.parquet  patient tables: hive partitions by person
    <folder>/concept/part-*.parquet                 reference and vocabulary tables: one part

A person's rows in every patient table share one bucket (``person_id`` modulo
the number of buckets), so an engine reads a person's history from one
partition and a query joining tables on ``person_id`` can be co-partitioned.
The files hold exactly what the DuckDB warehouse holds (pseudonyms, shifted
dates, no direct identifier) and are read by DuckDB or by Apache Spark
(:mod:`socle.warehouse.engine`).

An export is written beside its target and renamed over it at the end: a failed
export leaves the previous one whole, and running it again is safe. Several
exports (one per input partition, :mod:`socle.warehouse.merge`) can be merged
into one CDM: their part files sit side by side in the same buckets.
"""

from __future__ import annotations

import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb
import orjson

from socle.warehouse.errors import WarehouseError
from socle.warehouse.schema import CDM, VOCABULARY, duck_type, upsert_key

FORMAT = "omop-cdm-5.4-parquet/socle-1"
MANIFEST = "cdm.json"
BUCKET = "person_bucket"
DEFAULT_BUCKETS = 16


@dataclass(frozen=True)
class ParquetCDM:
    """An exported CDM: its folder, number of person buckets and rows per table."""

    folder: Path
    buckets: int
    rows: dict[str, int]

    def is_partitioned(self, table: str) -> bool:
        return table in CDM and "person_id" in CDM[table]

    def files(self, table: str) -> str:
        """A glob of the table's Parquet files."""
        if self.is_partitioned(table):
            return str(self.folder / table / f"{BUCKET}=*" / "*.parquet")
        return str(self.folder / table / "*.parquet")

    def columns(self, table: str) -> dict[str, str]:
        """Column → DuckDB type of the table, in CDM order."""
        return {c: duck_type(t) for c, t in {**CDM, **VOCABULARY}[table].items()}


def open_cdm(folder: Path) -> ParquetCDM:
    """Read an export's manifest; a clear error when ``folder`` is not one."""
    manifest = folder / MANIFEST
    if not manifest.is_file():
        raise WarehouseError(
            f"{folder} is not a Parquet CDM (no {MANIFEST}); write one with "
            "`socle warehouse export-parquet`"
        )
    data = orjson.loads(manifest.read_bytes())
    if data.get("format") != FORMAT:
        raise WarehouseError(f"{manifest} is format {data.get('format')!r}, expected {FORMAT!r}")
    return ParquetCDM(folder, int(data["buckets"]), {k: int(v) for k, v in data["rows"].items()})


def bucket_of(person_id: str, buckets: int) -> str:
    """SQL (DuckDB) giving a person's bucket: non-negative ``person_id`` modulo ``buckets``."""
    return f"((({person_id}) % {buckets}) + {buckets}) % {buckets}"


def export_cdm(
    con: duckdb.DuckDBPyConnection,
    folder: Path,
    *,
    buckets: int = DEFAULT_BUCKETS,
    tag: str = "0",
    append: bool = False,
) -> ParquetCDM:
    """Write every CDM and vocabulary table of ``con``'s ``main`` schema under ``folder``.

    ``tag`` names the part files (``part-<tag>.parquet``); with ``append`` the
    tables are added to an existing export of the same number of buckets
    (vocabulary tables are then kept as they are), else the export replaces
    ``folder`` whole at the end.
    """
    if not 1 <= buckets <= 4096:
        raise WarehouseError(f"buckets must be between 1 and 4096, not {buckets}")
    if append and (folder / MANIFEST).is_file():
        previous = open_cdm(folder)
        if previous.buckets != buckets:
            raise WarehouseError(
                f"{folder} has {previous.buckets} buckets; cannot merge an export of {buckets}"
            )
        return _write(con, folder, folder, buckets, tag, previous.rows)
    work = folder.with_name(f".{folder.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        cdm = _write(con, work, folder, buckets, tag, {})
        if folder.exists():
            retired = folder.with_name(f".{folder.name}.{uuid.uuid4().hex[:8]}.old")
            folder.rename(retired)
            work.rename(folder)
            shutil.rmtree(retired)
        else:
            work.rename(folder)
        return cdm
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _write(
    con: duckdb.DuckDBPyConnection,
    target: Path,
    final: Path,
    buckets: int,
    tag: str,
    rows: dict[str, int],
) -> ParquetCDM:
    target.mkdir(parents=True, exist_ok=True)
    counts = dict(rows)
    cdm = ParquetCDM(final, buckets, counts)
    for table in (*CDM, *VOCABULARY):
        if table in VOCABULARY and table in rows:
            continue  # a merge keeps the first export's vocabulary
        (target / table).mkdir(exist_ok=True)
        columns = ", ".join(f'"{c}"' for c in cdm.columns(table))
        written = _count(con, f"SELECT count(*) FROM main.{table}")
        if written:
            path = str(target / table).replace("'", "''")
            if cdm.is_partitioned(table):
                con.execute(
                    f"COPY (SELECT {columns}, {bucket_of('person_id', buckets)} AS {BUCKET} "
                    f"FROM main.{table}) TO '{path}' (FORMAT parquet, PARTITION_BY ({BUCKET}), "
                    f"FILENAME_PATTERN 'part-{_safe(tag)}-{{i}}', OVERWRITE_OR_IGNORE)"
                )
            else:
                con.execute(
                    f"COPY (SELECT {columns} FROM main.{table}) "
                    f"TO '{path}/part-{_safe(tag)}.parquet' (FORMAT parquet)"
                )
        counts[table] = counts.get(table, 0) + written
    manifest = {"format": FORMAT, "buckets": buckets, "rows": counts}
    (target / MANIFEST).write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
    return cdm


def _safe(tag: str) -> str:
    if not tag.replace("-", "").replace("_", "").isalnum():
        raise WarehouseError(f"part tag '{tag[:40]}' must be letters, digits, - and _")
    return tag


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = con.execute(sql).fetchone()
    return int(row[0]) if row else 0


def merge_parquet(staged: Path, target: Path) -> ParquetCDM:
    """Finish a CDM exported in parts (``append``) and move it to ``target``.

    Patient tables need nothing: each person's rows came from one part. Tables
    of no person (providers, care sites, locations, the CDM source) were written
    by every part that referred to them: one row per primary key is kept (one of
    identical rows for a table without key). ``target`` is replaced whole.
    """
    cdm = open_cdm(staged)
    with duckdb.connect() as con:
        for table in CDM:
            if cdm.is_partitioned(table) or not cdm.rows.get(table):
                continue
            key = upsert_key(table)
            files = cdm.files(table).replace("'", "''")
            distinct = f"DISTINCT ON ({key}) *" if key else "DISTINCT *"
            merged = staged / table / "merged.parquet.tmp"
            con.execute(
                f"COPY (SELECT {distinct} FROM read_parquet('{files}')) TO '{merged}' "
                "(FORMAT parquet)"
            )
            for part in (staged / table).glob("*.parquet"):
                part.unlink()
            merged.rename(staged / table / "part-merged.parquet")
            cdm.rows[table] = _count(con, f"SELECT count(*) FROM read_parquet('{files}')")
    manifest = {"format": FORMAT, "buckets": cdm.buckets, "rows": cdm.rows}
    (staged / MANIFEST).write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
    if target.exists():
        retired = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.old")
        target.rename(retired)
        staged.rename(target)
        shutil.rmtree(retired)
    else:
        staged.rename(target)
    return ParquetCDM(target, cdm.buckets, cdm.rows)
