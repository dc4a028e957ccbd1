"""The end of a load, on its staging database: resources of unknown patients and duplicates.

The loader writes one ``load_ledger`` row per accepted resource (type, keyed
id, person, file token, position) in the order it accepted them, alongside
their rows. Before the staged rows reach the warehouse:

- a resource whose ``person_id`` is neither a person of this load nor of the
  warehouse is an orphan: its rows are removed from the stage;
- a resource whose type and keyed id were accepted before in the same load is
  a duplicate: the rows staged first under each key are kept, later ones removed.

Both come back as :class:`LedgerEntry` so the loader quarantines them with a reason.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from socle.warehouse.schema import CDM, PRIMARY_KEYS

_KNOWN_PERSONS = "SELECT person_id FROM stage.person UNION SELECT person_id FROM main.person"


@dataclass(frozen=True)
class LedgerEntry:
    """A staged resource that was taken back out, and where it was read."""

    resource_type: str
    file: str
    position: int


def remove_orphans(con: duckdb.DuckDBPyConnection) -> tuple[list[LedgerEntry], dict[str, int]]:
    """Take out resources of patients known nowhere; return them and the rows removed per table."""
    orphans = _entries(
        con,
        f"SELECT resource_type, file, position FROM stage.load_ledger "
        f"WHERE person_id NOT IN ({_KNOWN_PERSONS}) ORDER BY rowid",
    )
    removed: dict[str, int] = {}
    if orphans:
        for table, columns in CDM.items():
            if "person_id" in columns and table not in ("person", "observation_period"):
                removed[table] = _count(
                    con,
                    f"DELETE FROM stage.{table} WHERE person_id NOT IN ({_KNOWN_PERSONS})",
                )
        con.execute(f"DELETE FROM stage.load_ledger WHERE person_id NOT IN ({_KNOWN_PERSONS})")
    return orphans, removed


def remove_duplicates(con: duckdb.DuckDBPyConnection) -> tuple[list[LedgerEntry], dict[str, int]]:
    """Take out every resource accepted again under a type and id already accepted in the load."""
    duplicates = _entries(
        con,
        """
        SELECT resource_type, file, position FROM (
            SELECT rowid AS seq, *, row_number() OVER (
                PARTITION BY resource_type, resource_key ORDER BY rowid) AS nth
            FROM stage.load_ledger
            WHERE (resource_type, resource_key) IN (
                SELECT (resource_type, resource_key) FROM stage.load_ledger
                GROUP BY ALL HAVING count(*) > 1)
        ) WHERE nth > 1 ORDER BY seq
        """,
    )
    removed: dict[str, int] = {}
    if duplicates:
        for table, key in PRIMARY_KEYS.items():
            if table != "observation_period":
                removed[table] = _count(
                    con,
                    f"DELETE FROM stage.{table} WHERE rowid IN (SELECT rowid FROM ("
                    f"SELECT rowid, row_number() OVER (PARTITION BY {key} ORDER BY rowid) AS nth "
                    f"FROM stage.{table}) WHERE nth > 1)",
                )
    return duplicates, removed


def _entries(con: duckdb.DuckDBPyConnection, sql: str) -> list[LedgerEntry]:
    return [LedgerEntry(str(t), str(f), int(p)) for t, f, p in con.execute(sql).fetchall()]


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = con.execute(sql).fetchone()
    return int(row[0]) if row else 0
