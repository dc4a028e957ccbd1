"""The checkpoint on an engine other than the warehouse's DuckDB file (the Parquet CDM).

:class:`EngineReader` is a :class:`ScopedReader`: the same scoped views (built
by :func:`socle.warehouse.portable.scoped_views`), the same structural check of
every query by DuckDB's parser before anything runs, the same time limit; the
rows are read by the engine (DuckDB on Parquet, or Spark) in a session of its
own, where only the CDM tables, the consent relations and this reader's views
exist.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from socle.warehouse.engine import Engine
from socle.warehouse.errors import QueryLimitError
from socle.warehouse.extract import write_extract
from socle.warehouse.portable import EXCLUDED, INCLUDED, scoped_views
from socle.warehouse.scope import GrantScope, PersonFilter
from socle.warehouse.sql_check import check_select
from socle.warehouse.warehouse import QUERY_TIMEOUT, ScopedReader

_PARSER: list[duckdb.DuckDBPyConnection] = []
_PARSER_LOCK = threading.Lock()


def _parser() -> duckdb.DuckDBPyConnection:
    """One empty in-memory database for the structural checks (a cursor per reader is
    nearly free; a new database costs about 15 ms, once per query in the workspace)."""
    with _PARSER_LOCK:
        if not _PARSER:
            _PARSER.append(duckdb.connect())
        return _PARSER[0]


class EngineReader(ScopedReader):
    """A scoped reader whose queries run on ``engine``."""

    def __init__(
        self,
        engine: Engine,
        grant: GrantScope,
        persons: PersonFilter,
        *,
        timeout: float = QUERY_TIMEOUT,
    ) -> None:
        self.grant, self.timeout, self.engine = grant, timeout, engine
        views = scoped_views(grant, persons)  # refuses an unknown table or column first
        self._session = engine.session()
        if persons.excluded_person_ids:  # the views name only the relations they need
            self._session.register_ids(EXCLUDED, persons.excluded_person_ids)
        if persons.included_only is not None:
            self._session.register_ids(INCLUDED, persons.included_only)
        self._pending = dict(views)  # made at the first query naming them (a session's fixed cost)
        self.views: tuple[str, ...] = tuple(views)
        self._taken = frozenset((*engine.tables, EXCLUDED, INCLUDED, *views))
        self._parser = _parser().cursor()  # parses only; holds no data

    def check(self, sql: str) -> None:
        check_select(self._parser, sql, self.views, self._taken)

    def _prepare(self, sql: str) -> None:
        """Create the views ``sql`` may name (a word match: a view made needlessly is harmless)."""
        for view in [v for v in self._pending if re.search(rf"\b{v}\b", sql, re.IGNORECASE)]:
            self._session.create_view(view, self._pending.pop(view))

    def query(self, sql: str, params: Sequence[Any] = ()) -> pa.Table:
        self.check(sql)
        self._prepare(sql)
        timer = threading.Timer(self.timeout, self._session.interrupt)
        timer.start()
        try:
            return self._session.run(sql, params)
        except QueryLimitError as exc:
            raise QueryLimitError(
                f"the query was stopped after {self.timeout:g} s, the workspace's limit per "
                "query; narrow it (fewer rows, columns or joins) or run it as a job"
            ) from exc
        finally:
            timer.cancel()

    def export(self, folder: Path, results: dict[str, Path] | None = None) -> dict[str, Path]:
        """Write every scoped view (and named ``results``) as Parquet in ``folder``: an extract,
        ids renumbered as on DuckDB (:mod:`socle.warehouse.extract`). The engine's rows are
        gathered by the driver, so an extract must fit its memory."""
        tables = {
            t: list(dict.fromkeys(("person_id", *cols))) for t, cols in self.grant.columns.items()
        }
        with duckdb.connect() as con:
            for table in tables:
                self._prepare(f"scoped_{table}")
                con.register(f"scoped_{table}", self._session.run(f"SELECT * FROM scoped_{table}"))
            return write_extract(con, tables, folder, results)

    def close(self) -> None:
        self._session.close()
        self._parser.close()
