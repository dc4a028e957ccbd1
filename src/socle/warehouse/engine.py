"""Engines that run governed SQL on a Parquet CDM: DuckDB (embedded) or Apache Spark.

An :class:`Engine` exposes every table of a :class:`ParquetCDM` under its CDM
name; a :class:`EngineSession` is one reader's private namespace on it (its own
``scoped_*`` views and consent relations, invisible to other sessions). SQL is
given in DuckDB's dialect and rendered for the engine by
:func:`socle.warehouse.portable.for_engine`. Only the checkpoint
(:class:`socle.warehouse.engine_reader.EngineReader`) opens sessions.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
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
    """An engine over one Parquet CDM."""

    name: str

    def __init__(self, cdm: ParquetCDM) -> None:
        self.cdm = cdm

    @abstractmethod
    def session(self) -> EngineSession: ...

    @abstractmethod
    def close(self) -> None: ...

    @property
    def tables(self) -> tuple[str, ...]:
        return (*CDM, *VOCABULARY)


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
        return _DuckDBSession(self._con.cursor())

    def close(self) -> None:
        self._con.close()


class _DuckDBSession(EngineSession):
    dialect = "duckdb"

    def __init__(self, cursor: duckdb.DuckDBPyConnection) -> None:
        self._cursor = cursor
        cursor.execute("SET python_enable_replacements = false")

    def register_ids(self, name: str, ids: frozenset[int]) -> None:
        self._cursor.register(name, ids_table(ids))

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
