"""Engines that run governed SQL on a Parquet CDM: DuckDB (embedded) or Apache Spark.

An :class:`Engine` exposes every table of a :class:`ParquetCDM` under its CDM
name; a :class:`EngineSession` is one reader's private namespace on it (its own
``scoped_*`` views and consent relations, invisible to other sessions). SQL is
given in DuckDB's dialect and rendered for the engine by
:func:`socle.warehouse.portable.for_engine`. Only the checkpoint
(:class:`socle.warehouse.engine_reader.EngineReader`) opens sessions.
"""

from __future__ import annotations

import itertools
import threading
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import duckdb
import pyarrow as pa

from socle.warehouse.errors import QueryLimitError, ScopeError
from socle.warehouse.parquet import ParquetCDM
from socle.warehouse.schema import CDM, VOCABULARY


class EngineSession(ABC):
    """One reader's namespace on an engine."""

    dialect: str

    @abstractmethod
    def register_ids(self, name: str, ids: frozenset[int]) -> None:
        """A relation ``name`` with one BIGINT column ``person_id``."""

    @abstractmethod
    def create_view(self, name: str, sql: str) -> None:
        """A view private to this session, defined by ``sql`` (DuckDB dialect)."""

    @abstractmethod
    def run(self, sql: str, params: Sequence[Any] = ()) -> pa.Table:
        """Run ``sql`` (DuckDB dialect, ``?`` parameters) and return its rows."""

    @abstractmethod
    def interrupt(self) -> None:
        """Stop the running query (called from another thread)."""

    @abstractmethod
    def close(self) -> None: ...


class Engine(ABC):
    """An engine over one Parquet CDM.

    A consent state (the objectors of a purpose, or the consenting persons of an
    opt-in purpose) is materialised once in the engine as a table of person ids
    and shared by every session that reads under it: a session names it, it
    does not send it again. The last :data:`KEPT_ID_SETS` states are kept (a
    state still used by an open session is never dropped).
    """

    name: str

    def __init__(self, cdm: ParquetCDM) -> None:
        self.cdm = cdm
        self._id_sets: OrderedDict[frozenset[int], list[Any]] = OrderedDict()  # ids → [name, users]
        self._id_lock = threading.Lock()
        self._id_names = itertools.count()

    @abstractmethod
    def session(self) -> EngineSession: ...

    @abstractmethod
    def close(self) -> None: ...

    @abstractmethod
    def _materialise(self, name: str, ids: frozenset[int]) -> None:
        """Store ``ids`` as the engine-wide relation ``name`` (one BIGINT column ``person_id``)."""

    @abstractmethod
    def _drop(self, name: str) -> None: ...

    def acquire_ids(self, ids: frozenset[int]) -> str:
        """The engine-wide relation holding ``ids``, made at its first use; call
        :meth:`release_ids` when the session that reads it closes."""
        with self._id_lock:
            entry = self._id_sets.get(ids)
            if entry is None:
                name = f"_socle_ids_{next(self._id_names)}"
                self._materialise(name, ids)
                entry = self._id_sets[ids] = [name, 0]
            self._id_sets.move_to_end(ids)
            entry[1] += 1
            unused = [k for k, (_, users) in self._id_sets.items() if users == 0]
            for key in unused[: max(0, len(self._id_sets) - KEPT_ID_SETS)]:
                self._drop(self._id_sets.pop(key)[0])
            return str(entry[0])

    def release_ids(self, name: str) -> None:
        with self._id_lock:
            for entry in self._id_sets.values():
                if entry[0] == name:
                    entry[1] -= 1

    @property
    def tables(self) -> tuple[str, ...]:
        return (*CDM, *VOCABULARY)


KEPT_ID_SETS = 8
IDS_SCHEMA = "socle_ids"


def ids_table(ids: frozenset[int]) -> pa.Table:
    return pa.table({"person_id": pa.array(sorted(ids), pa.int64())})


class DuckDBEngine(Engine):
    """DuckDB reading the Parquet files in place (no load): one node, any size on disk."""

    name = "duckdb"

    def __init__(self, cdm: ParquetCDM, *, memory_limit: str = "1GB", threads: int = 2) -> None:
        super().__init__(cdm)
        self._con = duckdb.connect(config={"memory_limit": memory_limit, "threads": str(threads)})
        for table in self.tables:
            self._con.execute(f"CREATE VIEW {table} AS {self.relation(table)}")

    def relation(self, table: str) -> str:
        """A SELECT of ``table``'s CDM columns from its files (typed, empty if it has none)."""
        columns = self.cdm.columns(table)
        if not self.cdm.rows.get(table):
            typed = ", ".join(f'CAST(NULL AS {t}) AS "{c}"' for c, t in columns.items())
            return f"SELECT {typed} WHERE FALSE"
        names = ", ".join(f'"{c}"' for c in columns)
        path = self.cdm.files(table).replace("'", "''")
        return f"SELECT {names} FROM read_parquet('{path}', hive_partitioning = false)"

    def session(self) -> EngineSession:
        return _DuckDBSession(self, self._con.cursor())

    def close(self) -> None:
        self._con.close()

    def _materialise(self, name: str, ids: frozenset[int]) -> None:
        """A table in schema ``socle_ids``: a workspace query cannot name a schema, and no
        unqualified name (a CTE's) can bind to it."""
        with self._con.cursor() as cursor:
            cursor.register("_ids", ids_table(ids))
            cursor.execute(f"CREATE SCHEMA IF NOT EXISTS {IDS_SCHEMA}")
            cursor.execute(f"CREATE TABLE {IDS_SCHEMA}.{name} AS SELECT person_id FROM _ids")
            cursor.unregister("_ids")

    def _drop(self, name: str) -> None:
        self._con.execute(f"DROP TABLE IF EXISTS {IDS_SCHEMA}.{name}")


class _DuckDBSession(EngineSession):
    dialect = "duckdb"

    def __init__(self, engine: DuckDBEngine, cursor: duckdb.DuckDBPyConnection) -> None:
        self._engine, self._cursor = engine, cursor
        self._held: list[str] = []
        cursor.execute("SET python_enable_replacements = false")

    def register_ids(self, name: str, ids: frozenset[int]) -> None:
        stored = self._engine.acquire_ids(ids)
        self._held.append(stored)
        self._cursor.execute(
            f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT person_id FROM {IDS_SCHEMA}.{stored}"
        )

    def create_view(self, name: str, sql: str) -> None:
        self._cursor.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS {sql}")

    def run(self, sql: str, params: Sequence[Any] = ()) -> pa.Table:
        try:
            return self._cursor.execute(sql, list(params)).fetch_arrow_table()
        except duckdb.InterruptException as exc:
            raise QueryLimitError("the query was stopped at the workspace's time limit") from exc
        except duckdb.Error as exc:
            raise ScopeError(f"workspace query failed: {exc}") from exc

    def interrupt(self) -> None:
        self._cursor.interrupt()

    def close(self) -> None:
        self._cursor.close()
        for stored in self._held:
            self._engine.release_ids(stored)
        self._held.clear()
