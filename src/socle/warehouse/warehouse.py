"""The clinical warehouse: an OMOP CDM database in one DuckDB file.

Writes come from ingestion through :meth:`Warehouse.loading` (one transaction
per load). Reads for a purpose go only through :meth:`Warehouse.scoped`,
which demands a grant scope and a consent filter. Stewards get aggregate
profiles (:mod:`socle.warehouse.profile`), never rows.

One warehouse is shared by the API's worker threads: every read runs on a
DuckDB cursor of its own thread (DuckDB isolates them by MVCC, so a long query
blocks nobody), and writes take turns on the main connection.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa

from socle.warehouse.achilles import AchillesRun, run_achilles
from socle.warehouse.attach import PersonKeys, attach_cdm
from socle.warehouse.derived import derive_all
from socle.warehouse.errors import (
    QueryLimitError,
    RekeyError,
    ScopeError,
    WarehouseBusyError,
    WarehouseError,
)
from socle.warehouse.extract import write_extract
from socle.warehouse.ledger import LedgerEntry, remove_duplicates, remove_orphans
from socle.warehouse.mapping import drop_copies, map_concepts
from socle.warehouse.mapping_report import MappingReport, mapping_report
from socle.warehouse.parquet import DEFAULT_BUCKETS, ParquetCDM, export_cdm
from socle.warehouse.portable import VOCABULARY_VIEWS, scoped_views
from socle.warehouse.schema import (
    CDM,
    DERIVED,
    SUPPORT,
    arrow_schema,
    ddl,
    staging_ddl,
    upsert_key,
)
from socle.warehouse.scope import GrantScope, PersonFilter
from socle.warehouse.sql_check import check_select
from socle.warehouse.transaction import transaction
from socle.warehouse.vocabulary import Progress, load_vocabulary

if TYPE_CHECKING:
    from socle.warehouse.engine import Engine

MEMORY_LIMIT = "512MB"
QUERY_TIMEOUT = 60.0  # seconds a workspace query may run


class Warehouse:
    """Owner of the DuckDB connection; nothing outside this package touches it."""

    def __init__(
        self,
        path: Path,
        *,
        memory_limit: str = MEMORY_LIMIT,
        read_only: bool = False,
        engine: Callable[[], Engine] | None = None,
    ) -> None:
        """Open (and create) the warehouse; ``read_only`` lets several processes read it at
        once (the API's worker processes), none of them writing. With ``engine`` (a factory,
        called at the first scoped read) purposeful reads run on that engine over the Parquet
        CDM instead of this file (``SOCLE_ENGINE=spark``)."""
        self.path, self.read_only = path, read_only
        self.engine = _once(engine) if engine else None
        self.memory_limit = memory_limit
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            # Past this limit DuckDB spills to a temporary folder beside the database (the
            # final merge of a large load needs it), so memory stays bounded.
            self._con = duckdb.connect(
                str(path), read_only=read_only, config={"memory_limit": memory_limit}
            )
        except duckdb.Error as exc:
            raise WarehouseError(f"cannot open warehouse {path}: {exc}") from exc
        if not read_only:
            self._con.execute("BEGIN")  # one commit for the whole schema, not one per table
            for statement in ddl():
                self._con.execute(statement)
            self._con.execute("COMMIT")
        self._write_lock = threading.RLock()  # one load, vocabulary or re-key at a time
        self._cursor_lock = threading.Lock()
        self._factory = self._con.cursor()  # makes every other cursor, under _cursor_lock
        self._local = threading.local()
        self._cursors: list[duckdb.DuckDBPyConnection] = []
        self._generation = 0

    @property
    def generation(self) -> int:
        """A number that changes whenever a load, vocabulary, attachment or re-key ends (committed
        or not): a figure computed from the rows under one generation may be reused under it."""
        return self._generation

    @contextmanager
    def _changing(self) -> Iterator[None]:
        with self._write_lock:
            try:
                yield
            finally:
                self._generation += 1

    def _writable(self) -> None:
        if self.read_only:
            raise WarehouseError(
                f"warehouse {self.path} is open read-only (the API runs several worker "
                "processes); load with `socle ingest` while the server is stopped, or serve "
                "with one worker"
            )

    def _new_cursor(self) -> duckdb.DuckDBPyConnection:
        with self._cursor_lock:
            return self._factory.cursor()

    def _reader(self) -> duckdb.DuckDBPyConnection:
        """This thread's read cursor (made on first use, closed with the warehouse)."""
        cursor: duckdb.DuckDBPyConnection | None = getattr(self._local, "cursor", None)
        if cursor is None:
            cursor = self._local.cursor = self._new_cursor()
            with self._cursor_lock:
                self._cursors.append(cursor)
        return cursor

    def close(self) -> None:
        with self._cursor_lock:
            for cursor in (*self._cursors, self._factory):
                cursor.close()
            self._cursors.clear()
        self._con.close()

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing -----------------------------------------------------------------

    @contextmanager
    def loading(self) -> Iterator[BatchWriter]:
        """One atomic load: everything written inside commits together or not at all.

        Batches go first to an in-memory staging database attached to the
        connection, committed as they come; it shares the warehouse's memory
        limit, past which DuckDB spills it to its temporary folder, so memory
        stays bounded (a staging *file* cost a sync per batch and a checkpoint
        at the end: 1,000 patients' commits took longer than their parsing).
        The warehouse itself changes only in the final transaction, which
        upserts the staged rows by primary key. A load killed at any point
        before that commit leaves the warehouse as it was; a staging file left
        by an older version is discarded by the next load.
        """
        self._writable()
        with self._changing():
            yield from self._load()

    def _load(self) -> Iterator[BatchWriter]:
        stage = self.path.with_name(self.path.name + ".staging")
        self._discard(stage)
        self._con.execute("ATTACH ':memory:' AS stage")
        try:
            for statement in ddl():
                self._con.execute(statement.replace("IF NOT EXISTS ", "IF NOT EXISTS stage.", 1))
            for statement in staging_ddl():
                self._con.execute(statement)
            writer = BatchWriter(self._con, "stage")
            yield writer
            with transaction(self._con):
                for table in (*CDM, *SUPPORT):
                    if table not in DERIVED:
                        _merge(self._con, table)
                map_concepts(self._con, only_staged=True)
                derive_all(self._con)
        finally:
            self._con.execute("DETACH DATABASE IF EXISTS stage")
            self._discard(stage)

    @staticmethod
    def _discard(stage: Path) -> None:
        for leftover in (stage, stage.with_name(stage.name + ".wal")):
            leftover.unlink(missing_ok=True)

    def load_vocabulary(self, folder: Path, on_table: Progress | None = None) -> dict[str, int]:
        """Load every vocabulary table and re-map every stored row, atomically."""
        self._writable()
        with self._changing():
            return self._load_vocabulary(folder, on_table)

    def _load_vocabulary(self, folder: Path, on_table: Progress | None) -> dict[str, int]:
        with transaction(self._con):
            counts = load_vocabulary(self._con, folder, on_table)
            counts["mapped_rows"] = map_concepts(self._con)
            derive_all(self._con)
        return counts

    def attach_cdm(
        self, source: Path | str, person_keys: PersonKeys, schema: str = "main"
    ) -> dict[str, int]:
        """Copy an existing OMOP CDM in (pseudonymised, identifiers dropped), atomically."""
        self._writable()
        with self._changing():
            return attach_cdm(self._con, source, person_keys, schema)

    @contextmanager
    def rekeying(self, ids: dict[int, int], tokens: dict[str, str]) -> Iterator[dict[str, int]]:
        """Replace every id and person token by its new pseudonym, atomically.

        ``ids`` maps each old integer id to the new one, ``tokens`` each old
        ``person_source_value`` token to the new one. An id or token of the
        warehouse that the maps do not cover aborts the whole re-key (its
        record would keep a pseudonym of the retired key). The body of the
        ``with`` runs inside the transaction (re-key the vault there), so a
        failure in it rolls the warehouse back too.
        """
        self._writable()
        with self._changing():
            yield from self._rekey(ids, tokens)

    def _rekey(self, ids: dict[int, int], tokens: dict[str, str]) -> Iterator[dict[str, int]]:
        try:
            with transaction(self._con):
                self._con.register(
                    "_id_map",
                    pa.table(
                        {
                            "old": pa.array(list(ids), pa.int64()),
                            "new": pa.array(list(ids.values()), pa.int64()),
                        }
                    ),
                )
                self._con.register(
                    "_token_map",
                    pa.table(
                        {"old": list(tokens), "new": list(tokens.values())},
                        schema=pa.schema([("old", pa.string()), ("new", pa.string())]),
                    ),
                )
                drop_copies(self._con, "TRUE")  # copies' ids derive from old ids: re-made after
                counts = self._rekey_tables()
                yield counts
                map_concepts(self._con)
                derive_all(self._con)
        finally:
            for view in ("_id_map", "_token_map"):
                self._con.unregister(view)

    def _rekey_tables(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for table, cols in CDM.items():
            if table in DERIVED:
                continue  # derived from the re-keyed events at commit
            id_cols = [c for c, typ in cols.items() if typ == pa.int64()]
            for col in id_cols:
                missing = self._scalar(
                    f"SELECT count(*) FROM {table} WHERE {col} IS NOT NULL "
                    f"AND {col} NOT IN (SELECT old FROM _id_map)"
                )
                if missing:
                    raise RekeyError(
                        f"{missing} rows of {table} have a {col} that the given sources do not "
                        "produce; pass every input loaded into this warehouse"
                    )
            if table == "person":
                missing = self._scalar(
                    "SELECT count(*) FROM person WHERE person_source_value NOT IN "
                    "(SELECT old FROM _token_map)"
                )
                if missing:
                    raise RekeyError(f"{missing} persons have no identity in the vault")
                self._con.execute(
                    "UPDATE person SET person_source_value = m.new FROM _token_map m "
                    "WHERE person.person_source_value = m.old"
                )
            for col in id_cols:
                self._con.execute(
                    f"UPDATE {table} SET {col} = m.new FROM _id_map m WHERE {table}.{col} = m.old"
                )
            counts[table] = self._scalar(f"SELECT count(*) FROM {table}")
        return counts

    # -- steward aggregates ---------------------------------------------------------

    def mapping_report(self, *, for_steward: bool = True, top: int = 20) -> MappingReport:
        """Shares of rows with a known source code and with a standard concept; unmapped codes."""
        return mapping_report(self._reader(), for_steward=for_steward, top=top)

    def achilles(self, *, small_cell: int = 10) -> AchillesRun:
        """Run OHDSI Achilles (aggregate characterisation) into the ``results`` schema."""
        self._writable()
        with self._write_lock:
            return run_achilles(self._con, small_cell=small_cell)

    def table_counts(self) -> dict[str, int]:
        return {t: int(self.aggregate(f"SELECT count(*) FROM {t}")[0][0]) for t in CDM}

    def _scalar(self, sql: str, params: Sequence[Any] = ()) -> int:
        row = self._con.execute(sql, list(params)).fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    def aggregate(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run a steward aggregate query (used by quality and catalog profiles)."""
        return self._reader().execute(sql, list(params)).fetchall()

    # -- purposeful reads --------------------------------------------------------------

    @contextmanager
    def scoped(
        self, grant: GrantScope, persons: PersonFilter, *, timeout: float = QUERY_TIMEOUT
    ) -> Iterator[ScopedReader]:
        """A reader that sees only granted columns, in the granted period, of consenting persons
        of the granted population; each of its queries stops after ``timeout`` seconds."""
        if not isinstance(grant, GrantScope) or not isinstance(persons, PersonFilter):
            raise ScopeError("a read needs both an active grant and a consent filter")
        if grant.purpose != persons.purpose:
            raise ScopeError(
                f"grant {grant.grant_id} is for purpose '{grant.purpose}' but the consent "
                f"filter is for '{persons.purpose}'"
            )
        if self.engine is not None:
            yield from self._engine_scoped(grant, persons, timeout)
            return
        cursor = self._new_cursor()
        try:
            # The reader's temp views change the connection's catalog: concurrent CREATE OR
            # REPLACE on cursors of one connection raised DuckDB FatalExceptions (and crashed
            # the process) under load, so readers are set up and closed in turn; queries overlap.
            with self._cursor_lock:
                try:
                    reader = ScopedReader(
                        cursor, grant, persons, timeout=timeout, memory=self.memory_limit
                    )
                except duckdb.OutOfMemoryException as exc:  # other reads hold the memory now
                    raise WarehouseBusyError(
                        f"the warehouse's memory ({self.memory_limit}) is taken by other reads "
                        "at the moment; try again in a few seconds"
                    ) from exc
            yield reader
        finally:
            with self._cursor_lock:
                cursor.close()

    def _engine_scoped(
        self, grant: GrantScope, persons: PersonFilter, timeout: float
    ) -> Iterator[ScopedReader]:
        from socle.warehouse.engine_reader import EngineReader

        assert self.engine is not None
        reader = EngineReader(self.engine(), grant, persons, timeout=timeout)
        try:
            yield reader
        finally:
            reader.close()

    def export_parquet(
        self, folder: Path, *, buckets: int = DEFAULT_BUCKETS, tag: str = "0", append: bool = False
    ) -> ParquetCDM:
        """Write the warehouse as an OMOP CDM in Parquet, patient tables partitioned by person
        (:mod:`socle.warehouse.parquet`); it replaces ``folder`` whole, or adds to it."""
        with self._write_lock:  # a consistent snapshot: no load commits meanwhile
            return export_cdm(self._con, folder, buckets=buckets, tag=tag, append=append)


class BatchWriter:
    """Appends Arrow batches to the tables of one database (``main`` or the load's ``stage``)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, database: str = "main") -> None:
        self._con = con
        self._database = database

    def write(self, table: str, rows: list[dict[str, Any]]) -> int:
        if not rows:
            return 0
        batch = pa.Table.from_pylist(rows, schema=arrow_schema(table))
        self._con.register("_batch", batch)
        try:
            self._con.execute(f"INSERT INTO {self._database}.{table} SELECT * FROM _batch")
        finally:
            self._con.unregister("_batch")
        return len(rows)

    def remove_orphans(self) -> tuple[list[LedgerEntry], dict[str, int]]:
        """Staged resources whose patient is in neither the load nor the warehouse, removed."""
        return remove_orphans(self._con)

    def remove_duplicates(self) -> tuple[list[LedgerEntry], dict[str, int]]:
        """Staged resources accepted twice in the load, all but the first removed."""
        return remove_duplicates(self._con)


class ScopedReader:
    """Runs workspace SQL against ``scoped_<table>`` views and nothing else.

    Every query is checked before it runs (:func:`check_select`): it may name
    only this reader's :attr:`views`. The cursor's Python replacement scans are
    off, so no Python object of the process can be read by name either.
    """

    def __init__(
        self,
        cursor: duckdb.DuckDBPyConnection,
        grant: GrantScope,
        persons: PersonFilter,
        *,
        timeout: float = QUERY_TIMEOUT,
        memory: str = MEMORY_LIMIT,
    ) -> None:
        self._cursor = cursor
        self.grant = grant
        self.timeout, self._memory = timeout, memory
        cursor.execute("SET python_enable_replacements = false")
        for name, ids in (
            ("_excluded", persons.excluded_person_ids),
            ("_included", persons.included_only or frozenset()),
        ):
            # A table of this reader's own, filled once: queries then scan no Python object
            # (a registered Arrow table is read under the GIL by every query that joins it).
            cursor.execute(f"CREATE OR REPLACE TEMP TABLE {name} (person_id BIGINT)")
            if ids:
                cursor.from_arrow(_ids(ids)).insert_into(name)
        for view, select in scoped_views(grant, persons, schema="main.").items():
            cursor.execute(f"CREATE OR REPLACE TEMP VIEW {view} AS {select}")
        self.views: tuple[str, ...] = (
            *(f"scoped_{t}" for t in grant.columns),
            *VOCABULARY_VIEWS,
        )
        self._taken = frozenset(
            str(name).lower()
            for (name,) in cursor.execute(
                "SELECT table_name FROM duckdb_tables() UNION SELECT view_name FROM duckdb_views()"
            ).fetchall()
        )

    def require(self, table: str, columns: Sequence[str]) -> None:
        """Refuse a query that needs a column the grant does not include."""
        granted = set(self.grant.columns.get(table, ())) | {"person_id"}
        missing = [c for c in columns if c not in granted]
        if table not in self.grant.columns or missing:
            raise ScopeError(
                f"grant {self.grant.grant_id} does not include {table}."
                f"{', '.join(missing) or '*'}; ask for an amendment of the request"
            )

    def check(self, sql: str) -> None:
        """Refuse ``sql`` unless it is one SELECT over this reader's views (nothing runs)."""
        check_select(self._cursor, sql, self.views, self._taken)

    def query(self, sql: str, params: Sequence[Any] = ()) -> pa.Table:
        """Check, then run, SQL that may read only :attr:`views`; returns an Arrow table.

        The query is interrupted after :attr:`timeout` seconds; one that needs
        more than the warehouse's memory limit stops with a clear error.
        """
        self.check(sql)
        timer = threading.Timer(self.timeout, self._cursor.interrupt)
        timer.start()
        try:
            return self._cursor.execute(sql, list(params)).fetch_arrow_table()
        except duckdb.InterruptException as exc:
            raise QueryLimitError(
                f"the query was stopped after {self.timeout:g} s, the workspace's limit per "
                "query; narrow it (fewer rows, columns or joins) or run it as a job"
            ) from exc
        except duckdb.OutOfMemoryException as exc:
            raise QueryLimitError(
                f"the query needed more than the workspace's memory limit ({self._memory}); "
                "aggregate earlier or select fewer columns"
            ) from exc
        except duckdb.Error as exc:
            raise ScopeError(f"workspace query failed: {exc}") from exc
        finally:
            timer.cancel()
            timer.join()  # an interrupt already under way ends before the cursor is closed

    def export(self, folder: Path, results: dict[str, Path] | None = None) -> dict[str, Path]:
        """Write every scoped view (and named ``results``) as Parquet in ``folder``: an extract.

        Ids are renumbered as INTEGER, as the CDM DDL declares them (:mod:`.extract`).
        Returns each file's name in the extract → its path.
        """
        tables = {
            t: list(dict.fromkeys(("person_id", *cols))) for t, cols in self.grant.columns.items()
        }
        return write_extract(self._cursor, tables, folder, results)


def _merge(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """Upsert the staged rows of ``table`` into the warehouse (delete-then-insert by key).

    DuckDB 1.4.1 ``INSERT OR REPLACE`` crashes, hence delete-then-insert; of
    rows staged twice under one key, one is kept.
    """
    key = upsert_key(table)
    if key is None:
        con.execute(f"INSERT INTO main.{table} SELECT * FROM stage.{table}")
        return
    con.execute(f"DELETE FROM main.{table} WHERE ({key}) IN (SELECT ({key}) FROM stage.{table})")
    con.execute(f"INSERT INTO main.{table} SELECT DISTINCT ON ({key}) * FROM stage.{table}")


def _once(factory: Callable[[], Engine]) -> Callable[[], Engine]:
    """``factory`` called at most once (the engine is made at the first read that needs it)."""
    made: list[Engine] = []
    lock = threading.Lock()

    def engine() -> Engine:
        with lock:
            if not made:
                made.append(factory())
            return made[0]

    return engine


def _ids(ids: frozenset[int]) -> pa.Table:
    return pa.table({"person_id": pa.array(sorted(ids), pa.int64())})
