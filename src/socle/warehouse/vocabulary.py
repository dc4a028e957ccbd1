"""OHDSI standardised vocabularies: load every vocabulary table of an Athena download.

Two file forms are read, told apart by their header line: Athena's own download
(tab-separated, no quoting, dates ``YYYYMMDD``) and the comma-separated CSV form
with ISO dates ``YYYY-MM-DD`` that OHDSI's test extracts use. Each file may be
gzipped (``CONCEPT.csv.gz``). ``CONCEPT`` and ``CONCEPT_RELATIONSHIP`` are
required; another table whose file is absent is left empty, since a vocabulary
release replaces the previous one as a whole. The caller runs this inside one
transaction (see :meth:`Warehouse.load_vocabulary`), so a failed load changes
nothing.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path

import duckdb

from socle.warehouse.errors import VocabularyError
from socle.warehouse.schema import VOCABULARY, duck_type

REQUIRED = ("concept", "concept_relationship")
_DATES = {"valid_start_date", "valid_end_date"}

Progress = Callable[[str, int], None]  # (table, rows loaded)


def vocabulary_file(folder: Path, table: str) -> Path | None:
    """The file of ``table`` in ``folder`` (``CONCEPT.csv``, ``concept.csv.gz``, ...)."""
    for name in (table.upper(), table):
        for suffix in (".csv", ".csv.gz", ".tsv", ".tsv.gz"):
            candidate = folder / f"{name}{suffix}"
            if candidate.is_file():
                return candidate
    return None


def _header(path: Path) -> str:
    opener = gzip.open if path.name.endswith(".gz") else open
    try:
        with opener(path, "rt", encoding="utf-8-sig") as handle:
            return handle.readline()
    except (OSError, UnicodeDecodeError) as exc:
        raise VocabularyError(f"{path.name} cannot be read: {exc}") from exc


def _select(table: str) -> str:
    """Columns cast from text; dates accepted as ``YYYYMMDD`` or ``YYYY-MM-DD``."""
    parts = []
    for column, typ in VOCABULARY[table].items():
        quoted = f'"{column}"'
        if column in _DATES:
            parts.append(
                f"CASE WHEN length({quoted}) = 8 THEN strptime({quoted}, '%Y%m%d')::DATE "
                f"ELSE {quoted}::DATE END"
            )
        else:
            parts.append(f"{quoted}::{duck_type(typ)}")
    return ", ".join(parts)


def _load_table(con: duckdb.DuckDBPyConnection, table: str, path: Path) -> int:
    header = _header(path)
    tabbed = "\t" in header
    names = [h.strip().strip('"').lower() for h in header.split("\t" if tabbed else ",")]
    expected = list(VOCABULARY[table])
    missing = [c for c in expected if c not in names]
    if missing:
        raise VocabularyError(
            f"{path.name} is not an OMOP {table} file: its header lacks {', '.join(missing)}"
        )
    spec = ", ".join(f"'{n}': 'VARCHAR'" for n in names)
    options = "delim='\t', quote=''" if tabbed else "delim=',', quote='\"', escape='\"'"
    try:
        con.execute(
            f"INSERT INTO {table} SELECT {_select(table)} FROM read_csv(?, header=true, "
            f"{options}, columns={{{spec}}}, nullstr='', strict_mode=false)",
            [str(path)],
        )
    except duckdb.Error as exc:
        raise VocabularyError(f"{path.name} is not a valid OMOP {table} file: {exc}") from exc
    row = con.execute(f"SELECT count(*) FROM {table}").fetchone()
    return int(row[0]) if row else 0


def load_vocabulary(
    con: duckdb.DuckDBPyConnection, folder: Path, on_table: Progress | None = None
) -> dict[str, int]:
    """Replace every vocabulary table with the files of ``folder``; rows per table."""
    if not folder.is_dir():
        raise VocabularyError(f"vocabulary folder {folder} does not exist")
    files = {table: vocabulary_file(folder, table) for table in VOCABULARY}
    for table in REQUIRED:
        if files[table] is None:
            raise VocabularyError(
                f"vocabulary folder {folder} has no {table.upper()}.csv; download the "
                "vocabularies from Athena (https://athena.ohdsi.org) and unzip them there"
            )
    counts: dict[str, int] = {}
    for table, path in files.items():
        con.execute(f"DELETE FROM {table}")
        counts[table] = _load_table(con, table, path) if path else 0
        if on_table:
            on_table(table, counts[table])
    return counts
