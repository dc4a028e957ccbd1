"""Source codes → standard concepts, and every event row to the table of its concept's domain.

Mappers keep each coded fact's source code as ``VOCABULARY|code`` in its
``*_source_value`` and put it in the table its FHIR type suggests. Once a
vocabulary is loaded, :func:`map_concepts` applies the OHDSI conventions, as
ETL-Synthea does:

- ``*_source_concept_id`` is the concept of the source code, even a deprecated one;
- ``*_concept_id`` is each valid "Maps to" target that is a valid standard concept
  (the code itself when it is standard and has no "Maps to"); a code with several
  targets gives one row per target (the extra rows are listed in ``mapping_copy``);
- the row goes to the table of its target's domain (a SNOMED finding of the
  Observation domain recorded as a Condition goes to ``observation``; domains with
  no event table go to ``observation``, the CDM's catch-all);
- "Maps to value" targets become the observation's ``value_as_concept_id``;
  coded values and UCUM units get their concepts too.

A row whose code the vocabulary does not know keeps concept 0 and its table.
Moved rows keep their id (ids are pseudonyms of typed source ids, so they cannot
collide across tables), which makes re-mapping idempotent.
"""

from __future__ import annotations

import duckdb

# Neutral event columns → each routable table's columns.
_COMMON = ("person_id", "provider_id", "visit_occurrence_id", "visit_detail_id")
EVENT_COLUMNS: dict[str, dict[str, str]] = {
    "condition_occurrence": {
        "id": "condition_occurrence_id", "concept": "condition_concept_id",
        "start_date": "condition_start_date", "start_datetime": "condition_start_datetime",
        "end_date": "condition_end_date", "end_datetime": "condition_end_datetime",
        "type": "condition_type_concept_id", "source_value": "condition_source_value",
        "source_concept": "condition_source_concept_id",
    },
    "procedure_occurrence": {
        "id": "procedure_occurrence_id", "concept": "procedure_concept_id",
        "start_date": "procedure_date", "start_datetime": "procedure_datetime",
        "end_date": "procedure_end_date", "end_datetime": "procedure_end_datetime",
        "type": "procedure_type_concept_id", "source_value": "procedure_source_value",
        "source_concept": "procedure_source_concept_id", "quantity": "quantity",
    },
    "measurement": {
        "id": "measurement_id", "concept": "measurement_concept_id",
        "start_date": "measurement_date", "start_datetime": "measurement_datetime",
        "type": "measurement_type_concept_id", "source_value": "measurement_source_value",
        "source_concept": "measurement_source_concept_id", "value_as_number": "value_as_number",
        "value_as_concept_id": "value_as_concept_id", "unit_concept_id": "unit_concept_id",
        "unit_source_value": "unit_source_value", "value_source_value": "value_source_value",
    },
    "observation": {
        "id": "observation_id", "concept": "observation_concept_id",
        "start_date": "observation_date", "start_datetime": "observation_datetime",
        "type": "observation_type_concept_id", "source_value": "observation_source_value",
        "source_concept": "observation_source_concept_id", "value_as_number": "value_as_number",
        "value_as_concept_id": "value_as_concept_id", "unit_concept_id": "unit_concept_id",
        "unit_source_value": "unit_source_value", "value_source_value": "value_source_value",
    },
    "drug_exposure": {
        "id": "drug_exposure_id", "concept": "drug_concept_id",
        "start_date": "drug_exposure_start_date",
        "start_datetime": "drug_exposure_start_datetime",
        "end_date": "drug_exposure_end_date", "end_datetime": "drug_exposure_end_datetime",
        "type": "drug_type_concept_id", "source_value": "drug_source_value",
        "source_concept": "drug_source_concept_id", "quantity": "quantity",
    },
    "device_exposure": {
        "id": "device_exposure_id", "concept": "device_concept_id",
        "start_date": "device_exposure_start_date",
        "start_datetime": "device_exposure_start_datetime",
        "end_date": "device_exposure_end_date", "end_datetime": "device_exposure_end_datetime",
        "type": "device_type_concept_id", "source_value": "device_source_value",
        "source_concept": "device_source_concept_id", "quantity": "quantity",
        "unit_concept_id": "unit_concept_id", "unit_source_value": "unit_source_value",
    },
}  # fmt: skip

# Each routable table's main concept column.
EVENT_TABLES = {table: cols["concept"] for table, cols in EVENT_COLUMNS.items()}

DOMAIN_TABLE = {
    "Condition": "condition_occurrence",
    "Procedure": "procedure_occurrence",
    "Measurement": "measurement",
    "Observation": "observation",
    "Drug": "drug_exposure",
    "Device": "device_exposure",
}
_NEUTRAL = (
    "id", "concept", "start_date", "start_datetime", "end_date", "end_datetime", "type",
    "source_value", "source_concept", "quantity", "value_as_number", "value_as_concept_id",
    "unit_concept_id", "unit_source_value", "value_source_value",
)  # fmt: skip
_NEUTRAL_TYPES = {
    "id": "BIGINT", "start_date": "DATE", "end_date": "DATE", "start_datetime": "TIMESTAMP",
    "end_datetime": "TIMESTAMP", "quantity": "DOUBLE", "value_as_number": "DOUBLE",
    "source_value": "VARCHAR", "unit_source_value": "VARCHAR", "value_source_value": "VARCHAR",
}  # fmt: skip


def vocabulary_loaded(con: duckdb.DuckDBPyConnection) -> bool:
    row = con.execute("SELECT EXISTS (SELECT 1 FROM concept)").fetchone()
    return bool(row and row[0])


def build_concept_map(con: duckdb.DuckDBPyConnection) -> None:
    """``concept_map``: per source value, its concept and each standard target (ranked).

    Built once per vocabulary load and kept beside the vocabulary, so a data load joins
    its staged rows to it without re-reading ``concept_relationship`` (tens of millions
    of rows in a full Athena download).
    """
    con.execute(
        """
        CREATE OR REPLACE TABLE main.concept_map AS
        WITH src AS (
            SELECT vocabulary_id || '|' || concept_code AS source_value, concept_id,
                   domain_id, standard_concept = 'S' AND coalesce(invalid_reason, '') = ''
                       AS is_standard
            FROM concept
            QUALIFY row_number() OVER (PARTITION BY vocabulary_id, concept_code
                                       ORDER BY coalesce(invalid_reason, '') = '' DESC,
                                                concept_id) = 1
        ),
        maps AS (
            SELECT r.concept_id_1 AS source_id, t.concept_id AS target_id, t.domain_id
            FROM concept_relationship r JOIN concept t ON t.concept_id = r.concept_id_2
            WHERE r.relationship_id = 'Maps to' AND coalesce(r.invalid_reason, '') = ''
              AND t.standard_concept = 'S' AND coalesce(t.invalid_reason, '') = ''
        ),
        vals AS (
            SELECT r.concept_id_1 AS source_id, min(t.concept_id) AS value_id
            FROM concept_relationship r JOIN concept t ON t.concept_id = r.concept_id_2
            WHERE r.relationship_id = 'Maps to value' AND coalesce(r.invalid_reason, '') = ''
              AND coalesce(t.invalid_reason, '') = ''
            GROUP BY r.concept_id_1
        )
        SELECT s.source_value, s.concept_id AS source_concept_id,
               coalesce(m.target_id, CASE WHEN s.is_standard THEN s.concept_id END, 0)
                   AS concept_id,
               coalesce(m.domain_id, CASE WHEN s.is_standard THEN s.domain_id END) AS domain_id,
               v.value_id,
               row_number() OVER (PARTITION BY s.source_value ORDER BY m.target_id) AS rank
        FROM src s
        LEFT JOIN maps m ON m.source_id = s.concept_id
        LEFT JOIN vals v ON v.source_id = s.concept_id
        """
    )


def _events(table: str, only_staged: bool) -> str:
    cols = EVENT_COLUMNS[table]
    parts = [
        f"CAST({cols[n]} AS {_NEUTRAL_TYPES.get(n, 'INTEGER')}) AS {n}"
        if n in cols
        else f"CAST(NULL AS {_NEUTRAL_TYPES.get(n, 'INTEGER')}) AS {n}"
        for n in _NEUTRAL
    ]
    where = f"WHERE {cols['id']} IN (SELECT {cols['id']} FROM stage.{table})" if only_staged else ""
    return f"SELECT '{table}' AS home, {', '.join((*_COMMON, *parts))} FROM main.{table} {where}"


def _target_case() -> str:
    whens = " ".join(f"WHEN '{d}' THEN '{t}'" for d, t in DOMAIN_TABLE.items())
    return f"CASE WHEN coalesce(m.concept_id, 0) = 0 THEN e.home ELSE CASE m.domain_id {whens} ELSE 'observation' END END"


def map_concepts(con: duckdb.DuckDBPyConnection, *, only_staged: bool = False) -> int:
    """Map and route every event row (or only those of the load being merged); rows touched."""
    if not vocabulary_loaded(con):
        return 0
    known = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_catalog = current_database() "
        "AND table_schema = 'main' AND table_name = 'concept_map'"
    ).fetchone()
    if not only_staged or not (known and known[0]):
        build_concept_map(con)
    copies = con.execute("SELECT EXISTS (SELECT 1 FROM mapping_copy)").fetchone()
    if copies and copies[0]:  # else nothing to drop (a first load: 7 statements saved)
        if only_staged:
            origins = " UNION ALL ".join(
                f"SELECT {c['id']} AS id FROM stage.{t}" for t, c in EVENT_COLUMNS.items()
            )
            drop_copies(con, f"origin_id IN ({origins})")
        else:
            drop_copies(con, "TRUE")
    union = " UNION ALL ".join(_events(t, only_staged) for t in EVENT_COLUMNS)
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _routed AS
        SELECT e.*, coalesce(m.rank, 1) = 1 AS first, {_target_case()} AS target,
               coalesce(m.concept_id, 0) AS new_concept,
               coalesce(m.source_concept_id, 0) AS new_source_concept, m.value_id,
               CASE WHEN coalesce(m.rank, 1) = 1 THEN e.id
                    ELSE CAST(hash(e.id::VARCHAR || ':' || m.concept_id::VARCHAR) >> 1 AS BIGINT)
               END AS new_id
        FROM ({union}) e LEFT JOIN main.concept_map m ON m.source_value = e.source_value
        """
    )
    rows = con.execute("SELECT DISTINCT home, target, first FROM _routed").fetchall()
    moves = {(str(h), str(t), bool(f)) for h, t, f in rows}
    for table in EVENT_COLUMNS:
        _apply(con, table, moves)
    con.execute("INSERT INTO mapping_copy SELECT target, new_id, id FROM _routed WHERE NOT first")
    _map_values(con)
    row = con.execute("SELECT count(*) FROM _routed").fetchone()
    con.execute("DROP TABLE _routed")
    return int(row[0]) if row else 0


def drop_copies(con: duckdb.DuckDBPyConnection, origins: str) -> None:
    for table, cols in EVENT_COLUMNS.items():
        con.execute(
            f"DELETE FROM main.{table} WHERE {cols['id']} IN (SELECT row_id FROM mapping_copy "
            f"WHERE table_name = '{table}' AND {origins})"
        )
    con.execute(f"DELETE FROM mapping_copy WHERE {origins}")


def _apply(con: duckdb.DuckDBPyConnection, table: str, moves: set[tuple[str, str, bool]]) -> None:
    """Update rows that stay, delete rows that leave, insert rows that arrive.

    ``moves`` holds the (home, target, first) triples present in ``_routed``: a statement
    that no routed row concerns is not run.
    """
    cols = EVENT_COLUMNS[table]
    key = cols["id"]
    value = ""
    if table == "observation":
        value = ", value_as_concept_id = coalesce(r.value_id, observation.value_as_concept_id)"
    if (table, table, True) in moves:
        con.execute(
            f"UPDATE main.{table} SET {cols['concept']} = r.new_concept, "
            f"{cols['source_concept']} = r.new_source_concept{value} FROM _routed r "
            f"WHERE r.home = '{table}' AND r.target = '{table}' AND r.first "
            f"AND {table}.{key} = r.id"
        )
    if any(h == table and f and t != table for h, t, f in moves):
        con.execute(
            f"DELETE FROM main.{table} WHERE {key} IN (SELECT id FROM _routed "
            f"WHERE home = '{table}' AND first AND target <> '{table}')"
        )
    if not any(t == table and not (h == table and f) for h, t, f in moves):
        return
    arriving = f"target = '{table}' AND NOT (home = '{table}' AND first)"
    con.execute(
        f"DELETE FROM main.{table} WHERE {key} IN (SELECT new_id FROM _routed WHERE {arriving})"
    )
    names, values = list(_COMMON), list(_COMMON)
    for neutral, column in cols.items():
        if neutral in ("id", "concept", "source_concept"):
            continue
        names.append(column)
        values.append(neutral)
    if table == "drug_exposure":  # a required column: the start when the source had no end
        values[names.index("drug_exposure_end_date")] = "coalesce(end_date, start_date)"
    names += [key, cols["concept"], cols["source_concept"]]
    values += ["new_id", "new_concept", "new_source_concept"]
    if "value_as_concept_id" in cols:
        values[names.index("value_as_concept_id")] = "coalesce(value_id, value_as_concept_id)"
    con.execute(
        f"INSERT INTO main.{table} ({', '.join(names)}) "
        f"SELECT {', '.join(values)} FROM _routed WHERE {arriving}"
    )


def _map_values(con: duckdb.DuckDBPyConnection) -> None:
    """Coded values, UCUM units and causes of death get their standard concepts."""
    first = "(SELECT * FROM main.concept_map WHERE rank = 1)"
    for table, key in (("measurement", "measurement_id"), ("observation", "observation_id")):
        touched = f"{table}.{key} IN (SELECT new_id FROM _routed WHERE target = '{table}')"
        con.execute(
            f"UPDATE main.{table} SET unit_concept_id = m.concept_id FROM {first} m "
            f"WHERE {touched} AND m.source_value = 'UCUM|' || {table}.unit_source_value"
        )
        con.execute(
            f"UPDATE main.{table} SET value_as_concept_id = m.concept_id FROM {first} m "
            f"WHERE {touched} AND m.source_value = {table}.value_source_value "
            f"AND coalesce({table}.value_as_concept_id, 0) = 0"
        )
    con.execute(
        f"UPDATE main.death SET cause_concept_id = m.concept_id, "
        f"cause_source_concept_id = m.source_concept_id FROM {first} m "
        f"WHERE m.source_value = death.cause_source_value"
    )
