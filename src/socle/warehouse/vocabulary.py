"""OHDSI Athena vocabularies: load CONCEPT and CONCEPT_RELATIONSHIP, map source codes.

Every clinical row keeps its source code as ``VOCABULARY|code`` in its
``*_source_value`` column (e.g. ``SNOMED|195662009``). Once a vocabulary is
loaded, :func:`apply_vocabulary` sets the ``*_source_concept_id`` to the
concept of that code and the ``*_concept_id`` to the standard concept it
"Maps to" (or to itself when it is standard). Codes the vocabulary does not
know keep concept id 0 (OMOP's "No matching concept"). Without a vocabulary,
nothing changes.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from socle.warehouse.errors import VocabularyError
from socle.warehouse.schema import VOCABULARY

# (table, source value column, concept column, source concept column, value prefix)
TARGETS: tuple[tuple[str, str, str, str | None, str], ...] = (
    ("condition_occurrence", "condition_source_value", "condition_concept_id",
     "condition_source_concept_id", ""),
    ("drug_exposure", "drug_source_value", "drug_concept_id", "drug_source_concept_id", ""),
    ("procedure_occurrence", "procedure_source_value", "procedure_concept_id",
     "procedure_source_concept_id", ""),
    ("measurement", "measurement_source_value", "measurement_concept_id",
     "measurement_source_concept_id", ""),
    ("measurement", "value_source_value", "value_as_concept_id", None, ""),
    ("measurement", "unit_source_value", "unit_concept_id", "unit_source_concept_id", "UCUM|"),
    ("observation", "observation_source_value", "observation_concept_id",
     "observation_source_concept_id", ""),
    ("observation", "value_source_value", "value_as_concept_id", None, ""),
    ("visit_occurrence", "visit_source_value", "visit_concept_id", "visit_source_concept_id", ""),
    ("death", "cause_source_value", "cause_concept_id", "cause_source_concept_id", ""),
)  # fmt: skip

FILES = {"concept": "CONCEPT.csv", "concept_relationship": "CONCEPT_RELATIONSHIP.csv"}
_DATES = {"valid_start_date", "valid_end_date"}


def _athena_file(folder: Path, name: str) -> Path:
    for candidate in (folder / name, folder / name.lower()):
        if candidate.is_file():
            return candidate
    raise VocabularyError(
        f"vocabulary folder {folder} has no {name}; export it from Athena "
        "(https://athena.ohdsi.org) and unzip it there"
    )


def load_vocabulary(con: duckdb.DuckDBPyConnection, folder: Path) -> dict[str, int]:
    """Replace the vocabulary tables with an Athena export (tab-separated, dates YYYYMMDD)."""
    if not folder.is_dir():
        raise VocabularyError(f"vocabulary folder {folder} does not exist")
    counts = {}
    for table, name in FILES.items():
        path = _athena_file(folder, name)
        cols = VOCABULARY[table]
        spec = ", ".join(f"'{c}': 'VARCHAR'" for c in cols)
        select = ", ".join(
            f"strptime({c}, '%Y%m%d')::DATE" if c in _DATES else f"{c}::{_sql_type(table, c)}"
            for c in cols
        )
        con.execute(f"DELETE FROM {table}")
        try:
            con.execute(
                f"INSERT INTO {table} SELECT {select} FROM read_csv(?, delim='\t', header=true, "
                f"quote='', columns={{{spec}}}, nullstr='')",
                [str(path)],
            )
        except duckdb.Error as exc:
            raise VocabularyError(f"{path.name} is not an Athena {table} export: {exc}") from exc
        counts[table] = int(con.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # type: ignore[index]
    return counts


def _sql_type(table: str, column: str) -> str:
    return "INTEGER" if str(VOCABULARY[table][column]) == "int32" else "VARCHAR"


def apply_vocabulary(con: duckdb.DuckDBPyConnection) -> int:
    """Set concept ids of every row whose source code the loaded vocabulary knows."""
    row = con.execute("SELECT count(*) FROM concept").fetchone()
    if not row or not row[0]:
        return 0
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE _source_map AS
        SELECT c.vocabulary_id || '|' || c.concept_code AS source_value,
               c.concept_id AS source_concept_id,
               coalesce(std.concept_id,
                        CASE WHEN c.standard_concept = 'S' THEN c.concept_id END, 0) AS concept_id
        FROM concept c
        LEFT JOIN (
            SELECT r.concept_id_1, min(s.concept_id) AS concept_id
            FROM concept_relationship r
            JOIN concept s ON s.concept_id = r.concept_id_2 AND s.standard_concept = 'S'
            WHERE r.relationship_id = 'Maps to' AND coalesce(r.invalid_reason, '') = ''
            GROUP BY r.concept_id_1
        ) std ON std.concept_id_1 = c.concept_id
        WHERE coalesce(c.invalid_reason, '') = ''
        """
    )
    updated = 0
    for table, source, concept, source_concept, prefix in TARGETS:
        # A code the vocabulary knows but cannot map keeps what the mapper set (e.g. visits).
        sets = [f"{concept} = coalesce(nullif(m.concept_id, 0), {table}.{concept})"]
        if source_concept:
            sets.append(f"{source_concept} = m.source_concept_id")
        result = con.execute(
            f"UPDATE {table} SET {', '.join(sets)} FROM _source_map m "
            f"WHERE ? || {table}.{source} = m.source_value",
            [prefix],
        ).fetchone()
        updated += int(result[0]) if result else 0
    con.execute("DROP TABLE _source_map")
    return updated
