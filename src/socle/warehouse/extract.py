"""Extracts: a grant's scoped views written as Parquet, with INTEGER ids as the CDM DDL says.

Warehouse ids are 63-bit keyed pseudonyms (BIGINT); the OMOP CDM v5.4 DDL
declares ``person_id`` and the other ids INTEGER, which 32 bits cannot hold
without collisions. An extract therefore numbers the ids it contains densely,
1..n in the order of their pseudonyms (random, so the order says nothing), and
writes every id column as INTEGER. One number per pseudonym across all tables
and named results of the extract keeps every join; the numbers mean nothing
outside it, so two extracts cannot be linked by id (ADR 0012).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from socle.warehouse.errors import ScopeError
from socle.warehouse.schema import CDM

BATCH_ROWS = 100_000
INTEGER_MAX = 2**31 - 1


def id_columns(table: str, columns: list[str]) -> list[str]:
    """The id columns among ``columns`` of a CDM table (BIGINT in the warehouse)."""
    return [c for c in columns if CDM[table].get(c) == pa.int64()]


def result_id_columns(schema: pa.Schema) -> list[str]:
    """A named result's id columns: 64-bit integers named ``*_id`` (not concept ids)."""
    return [
        f.name for f in schema
        if pa.types.is_int64(f.type) and f.name.endswith("_id")
        and not f.name.endswith("concept_id")
    ]  # fmt: skip


def write_extract(
    cursor: duckdb.DuckDBPyConnection,
    tables: Mapping[str, list[str]],
    folder: Path,
    results: Mapping[str, Path] | None = None,
) -> dict[str, Path]:
    """Write ``scoped_<table>`` views (and named results, under ``results/``) with INTEGER ids.

    ``tables`` maps each table to its view's columns. Returns file name → path.
    """
    results = results or {}
    folder.mkdir(parents=True, exist_ok=True)
    numbering = _numbering(cursor, tables, results)
    files: dict[str, Path] = {}
    for table, columns in tables.items():
        reader = cursor.execute(f"SELECT * FROM scoped_{table}").fetch_record_batch(BATCH_ROWS)
        ids = id_columns(table, columns)
        path = folder / f"{table}.parquet"
        _write(reader, reader.schema, ids, numbering, path)
        files[f"{table}.parquet"] = path
    for name, source in results.items():
        parquet = pq.ParquetFile(source)
        ids = result_id_columns(parquet.schema_arrow)
        path = folder / "results" / f"{name}.parquet"
        path.parent.mkdir(exist_ok=True)
        _write(parquet.iter_batches(BATCH_ROWS), parquet.schema_arrow, ids, numbering, path)
        files[f"results/{name}.parquet"] = path
    return files


def _numbering(
    cursor: duckdb.DuckDBPyConnection,
    tables: Mapping[str, list[str]],
    results: Mapping[str, Path],
) -> pa.Array:
    """Every distinct id of the extract, sorted: an id's INTEGER is its position + 1."""
    parts = [
        f'SELECT "{c}" AS id FROM scoped_{t}' for t, cols in tables.items()
        for c in id_columns(t, cols)
    ]  # fmt: skip
    chunks: list[pa.Array] = []
    if parts:
        query = f"SELECT DISTINCT id FROM ({' UNION ALL '.join(parts)}) WHERE id IS NOT NULL"
        chunks.append(cursor.execute(query).fetch_arrow_table().column("id").combine_chunks())
    for source in results.values():
        table = pq.read_table(source, columns=result_id_columns(pq.read_schema(source)))
        chunks += [pc.unique(c.combine_chunks()).drop_null() for c in table.columns]
    if not chunks:
        return pa.array([], pa.int64())
    ids = pc.unique(pa.concat_arrays([c.cast(pa.int64()) for c in chunks]))
    ids = ids.take(pc.sort_indices(ids))
    if len(ids) > INTEGER_MAX:
        raise ScopeError(
            f"the extract holds {len(ids):,} distinct ids, more than an INTEGER column can number; "
            "grant fewer tables or a smaller population"
        )
    return ids


def _write(
    batches: Iterable[pa.RecordBatch],
    schema: pa.Schema,
    ids: list[str],
    numbering: pa.Array,
    path: Path,
) -> None:
    writer: pq.ParquetWriter | None = None
    try:
        for batch in batches:
            batch = _renumber(batch, ids, numbering)
            if writer is None:
                writer = pq.ParquetWriter(path, batch.schema)
            writer.write_batch(batch)
        if writer is None:  # an empty view still gives a file with its columns
            writer = pq.ParquetWriter(path, _integer_schema(schema, ids))
    finally:
        if writer is not None:
            writer.close()


def _renumber(batch: pa.RecordBatch, ids: list[str], numbering: pa.Array) -> pa.RecordBatch:
    columns = []
    for name, column in zip(batch.schema.names, batch.columns, strict=True):
        if name in ids:
            column = pc.add(pc.index_in(column, value_set=numbering), 1).cast(pa.int32())
        columns.append(column)
    return pa.RecordBatch.from_arrays(columns, schema=_integer_schema(batch.schema, ids))


def _integer_schema(schema: pa.Schema, ids: list[str]) -> pa.Schema:
    return pa.schema([pa.field(f.name, pa.int32()) if f.name in ids else f for f in schema])
