"""Bring an existing OMOP CDM under the node's governance: a DuckDB file, a folder of CSV or
Parquet, or a PostgreSQL schema.

The CDM's tables are copied into the warehouse in one transaction (the source
is only read), so the checkpoint's scoped views, the consent filter, the
catalogue and the quality checks work on them unchanged. On the way in:

- every ``person_id`` becomes the keyed pseudonym of the person's source id
  (``person_source_value``, else the CDM's own id) and ``person_source_value``
  the keyed token, as for FHIR input (the source id goes to the identity vault);
- every date and datetime of a person moves back by the person's keyed offset, and the
  year and month of birth become those of the shifted birth date, as for FHIR input;
- direct identifiers the CDM may hold are dropped: the exact birth day, street
  addresses and coordinates (zip codes keep 3 digits), provider names and
  NPI/DEA numbers, note text and NLP snippets, and record ids of the source
  system (visit, visit detail, provider and care-site source values).

A re-attach replaces rows by primary key, so it can be run again safely.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import pyarrow as pa

from socle.warehouse.errors import WarehouseError
from socle.warehouse.schema import CDM, VOCABULARY, duck_type, upsert_key
from socle.warehouse.transaction import transaction

PersonKeys = Callable[[list[tuple[int, str | None]]], list[tuple[int, int, str, int]]]
"""(CDM person_id, person_source_value) → (CDM person_id, pseudonym id, token, days shifted)."""

SCRUBBED: dict[tuple[str, str], str] = {
    ("person", "day_of_birth"): "NULL",
    ("person", "birth_datetime"): "NULL",
    ("location", "address_1"): "NULL",
    ("location", "address_2"): "NULL",
    ("location", "latitude"): "NULL",
    ("location", "longitude"): "NULL",
    ("location", "location_source_value"): "NULL",
    ("location", "zip"): "left(zip, 3)",
    ("provider", "provider_name"): "NULL",
    ("provider", "npi"): "NULL",
    ("provider", "dea"): "NULL",
    ("provider", "provider_source_value"): "NULL",
    ("care_site", "care_site_source_value"): "NULL",
    ("visit_occurrence", "visit_source_value"): "NULL",
    ("visit_detail", "visit_detail_source_value"): "NULL",
    ("note", "note_text"): "NULL",
    ("note", "note_title"): "NULL",
    ("note_nlp", "snippet"): "NULL",
    ("note_nlp", "lexical_variant"): "NULL",
    ("specimen", "specimen_source_id"): "NULL",
}


def _folder_source(folder: Path, table: str) -> str | None:
    for name in (table.upper(), table):
        for suffix in (".csv", ".csv.gz"):
            if (folder / f"{name}{suffix}").is_file():
                path = str(folder / f"{name}{suffix}").replace("'", "''")
                return f"read_csv('{path}', header=true, all_varchar=true)"
        if (folder / f"{name}.parquet").is_file():
            return f"read_parquet('{folder / f'{name}.parquet'!s}')"
        if (folder / name).is_dir() and any((folder / name).rglob("*.parquet")):
            return f"read_parquet('{folder / name!s}/**/*.parquet')"
    return None


def _postgres_sources(con: duckdb.DuckDBPyConnection, url: str, schema: str) -> dict[str, str]:
    """Each CDM table of a PostgreSQL schema, read with psycopg into an Arrow view ``_pg_<table>``.

    A table is read whole (values as text, cast on the way in); fine for the CDMs a node
    attaches in one go, a server-side cursor per batch would be the next step for very large ones.
    """
    import psycopg

    tables = (*CDM, *VOCABULARY)
    relations: dict[str, str] = {}
    try:
        with psycopg.connect(url) as pg, pg.cursor() as cur:
            cur.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
                [schema],
            )
            present = {str(r[0]).lower(): str(r[0]) for r in cur.fetchall()}
            for table in tables:
                if table not in present:
                    continue
                cur.execute(
                    f'SELECT * FROM "{schema}"."{present[table]}"'  # names from the catalogue
                )
                names = [d.name.lower() for d in cur.description or ()]
                rows = cur.fetchall()
                columns = {
                    n: pa.array([None if r[i] is None else str(r[i]) for r in rows], pa.string())
                    for i, n in enumerate(names)
                }
                con.register(f"_pg_{table}", pa.table(columns))
                relations[table] = f"_pg_{table}"
    except psycopg.Error as exc:
        raise WarehouseError(f"cannot read the CDM schema {schema}: {exc}") from exc
    return relations


def _sources(con: duckdb.DuckDBPyConnection, source: Path | str, schema: str) -> dict[str, str]:
    """Table → a relation reading it (for a DuckDB file, attached read-only as ``cdm_src``)."""
    tables = (*CDM, *VOCABULARY)
    if isinstance(source, str) and source.startswith(("postgresql://", "postgres://")):
        return _postgres_sources(con, source, schema)
    source = Path(source)
    if source.is_dir():
        found = {t: _folder_source(source, t) for t in tables}
        return {t: r for t, r in found.items() if r}
    if source.is_file():
        con.execute(f"ATTACH '{source!s}' AS cdm_src (READ_ONLY)")
        rows = con.execute(
            "SELECT lower(table_name), table_name FROM information_schema.tables "
            "WHERE table_catalog = 'cdm_src' AND table_schema = ?",
            [schema],
        ).fetchall()
        present = dict(rows)
        return {t: f'cdm_src.{schema}."{present[t]}"' for t in tables if t in present}
    raise WarehouseError(f"no CDM at {source}: give a DuckDB file or a folder of CSV or Parquet")


def _columns(con: duckdb.DuckDBPyConnection, relation: str) -> set[str]:
    return {str(r[0]).lower() for r in con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()}


_BIRTH = (
    "make_date(TRY_CAST(year_of_birth AS INTEGER), coalesce(TRY_CAST(month_of_birth AS INTEGER), 1),"
    " coalesce(TRY_CAST(day_of_birth AS INTEGER), 1))"
)


def _select(con: duckdb.DuckDBPyConnection, table: str, relation: str) -> str:
    present = _columns(con, relation)
    cols = {**CDM, **VOCABULARY}[table]
    parts = []
    for column, typ in cols.items():
        quoted = f'"{column}"'
        target = duck_type(typ)
        shifted = table in CDM and "person_id" in cols
        if (table, column) in SCRUBBED:
            expr = SCRUBBED[(table, column)] if column in present else "NULL"
        elif column not in present:
            expr = "NULL"
        elif target == "DATE":
            expr = f"TRY_CAST(TRY_CAST({quoted} AS TIMESTAMP) AS DATE)"
            if shifted:
                expr = f"{expr} - _persons.shift_days"
        elif target == "TIMESTAMP":
            expr = f"TRY_CAST({quoted} AS TIMESTAMP)"
            if shifted:
                expr = f"{expr} - to_days(_persons.shift_days)"
        else:
            expr = f"TRY_CAST({quoted} AS {target})"
        if table == "person" and column in ("year_of_birth", "month_of_birth"):
            part = "year" if column == "year_of_birth" else "month"
            expr = f"{part}({_BIRTH} - _persons.shift_days)"
        if column == "person_id" and table in CDM:
            expr = "_persons.new_id"
        if (table, column) == ("person", "person_source_value"):
            expr = "_persons.token"
        parts.append(f"CAST({expr} AS {target}) AS {quoted}")
    return ", ".join(parts)


def attach_cdm(
    con: duckdb.DuckDBPyConnection,
    source: Path | str,
    person_keys: PersonKeys,
    schema: str = "main",
) -> dict[str, int]:
    """Copy every CDM and vocabulary table of ``source`` in; rows per table copied."""
    try:
        relations = _sources(con, source, schema)
        if "person" not in relations:
            raise WarehouseError(f"{_shown(source)} has no PERSON table: is it an OMOP CDM?")
        people = con.execute(
            f"SELECT TRY_CAST(person_id AS BIGINT), person_source_value FROM {relations['person']}"
        ).fetchall()
        keys = person_keys([(int(p), s) for p, s in people if p is not None])
        con.register(
            "_persons",
            pa.table(
                {
                    "old_id": pa.array([k[0] for k in keys], pa.int64()),
                    "new_id": pa.array([k[1] for k in keys], pa.int64()),
                    "token": pa.array([k[2] for k in keys], pa.string()),
                    "shift_days": pa.array([k[3] for k in keys], pa.int32()),
                }
            ),
        )
        with transaction(con):
            counts = {t: _copy(con, t, r) for t, r in relations.items()}
        return counts
    except duckdb.Error as exc:
        raise WarehouseError(f"cannot read the CDM at {_shown(source)}: {exc}") from exc
    finally:
        for view in ("_persons", *(f"_pg_{t}" for t in (*CDM, *VOCABULARY))):
            con.unregister(view)
        con.execute("DETACH DATABASE IF EXISTS cdm_src")


def _shown(source: Path | str) -> str:
    """The source as it may be printed: a database URL without its password."""
    text = str(source)
    if "://" in text and "@" in text:
        scheme, rest = text.split("://", 1)
        return f"{scheme}://…@{rest.split('@', 1)[1]}"
    return text


def _copy(con: duckdb.DuckDBPyConnection, table: str, relation: str) -> int:
    select = _select(con, table, relation)
    source = f"(SELECT * FROM {relation}) src"
    if table in CDM and "person_id" in CDM[table]:
        # Rows of persons the CDM does not have are left out (nobody could consent for them).
        source += " JOIN _persons ON _persons.old_id = TRY_CAST(src.person_id AS BIGINT)"
    con.execute(f"CREATE OR REPLACE TEMP TABLE _incoming AS SELECT {select} FROM {source}")
    key = upsert_key(table) if table in CDM else None
    if table in VOCABULARY:
        con.execute(f"DELETE FROM main.{table}")
    elif key:
        con.execute(f"DELETE FROM main.{table} WHERE {key} IN (SELECT {key} FROM _incoming)")
    else:
        con.execute(f"DELETE FROM main.{table}")  # keyless tables (eras' sources, cdm_source)
    con.execute(f"INSERT INTO main.{table} SELECT * FROM _incoming")
    row = con.execute("SELECT count(*) FROM _incoming").fetchone()
    con.execute("DROP TABLE _incoming")
    return int(row[0]) if row else 0
