"""Apache Spark as the warehouse's engine: the Parquet CDM read by a cluster (or local mode).

The governed SQL is the DuckDB SQL of :mod:`socle.warehouse.portable`,
transpiled to Spark SQL with sqlglot. Each reader gets its own Spark session
(``SparkSession.newSession``: shared executors, private temporary views), so
one reader's ``scoped_*`` views are invisible to another's. A query past the
time limit is cancelled through its job group.

``pyspark`` (and a Java 17 runtime) are needed only when this module is used:
it is imported when the node's engine is ``spark``.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from socle.warehouse.engine import Engine, EngineSession, ids_table
from socle.warehouse.errors import QueryLimitError, ScopeError, WarehouseError
from socle.warehouse.parquet import ParquetCDM, open_cdm
from socle.warehouse.portable import for_engine

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

NO_INFERRED_JOIN_FILTERS = "org.apache.spark.sql.catalyst.optimizer.InferFiltersFromConstraints"
_SPARK_TYPE = {
    "INTEGER": "INT",
    "BIGINT": "BIGINT",
    "VARCHAR": "STRING",
    "DATE": "DATE",
    "TIMESTAMP": "TIMESTAMP_NTZ",
    "DOUBLE": "DOUBLE",
}


def spark_session(
    master: str = "local[2]",
    *,
    shuffle_partitions: int = 4,
    driver_memory: str = "1g",
    conf: dict[str, str] | None = None,
) -> SparkSession:
    """A Spark session for Socle: UTC, UI off, few shuffle partitions for small nodes.

    On a cluster, ``master`` is its URL (``spark://…``, ``yarn``, ``k8s://…``)
    and the other settings come from ``spark-defaults.conf`` as usual; ``conf``
    adds or overrides settings.
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:  # pragma: no cover - the spark extra is part of dev
        raise WarehouseError("the Spark engine needs pyspark: pip install 'socle[spark]'") from exc
    builder = (
        SparkSession.builder.master(master)
        .appName("socle")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.memory", driver_memory)
        .config("spark.sql.ansi.enabled", "false")
    )
    for key, value in (conf or {}).items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


class SparkEngine(Engine):
    """The Parquet CDM as Spark tables (one DataFrame per table, read lazily)."""

    name = "spark"

    def __init__(self, cdm: ParquetCDM, spark: SparkSession) -> None:
        super().__init__(cdm)
        self.spark = spark
        self.spark.sparkContext.setLogLevel("ERROR")
        self._shared: set[str] = set()
        self._lock = threading.Lock()
        self._prefix = f"socle_{uuid.uuid4().hex[:8]}_"
        self._frames: dict[str, DataFrame] = {}  # consent states, by relation name

    def shared(self, table: str) -> str:
        """The CDM table as a global temporary view (made once, seen by every session)."""
        name = self._prefix + table
        with self._lock:
            if table not in self._shared:
                self.frame(self.spark, table).createOrReplaceGlobalTempView(name)
                self._shared.add(table)
        return name

    def frame(self, spark: SparkSession, table: str) -> DataFrame:
        columns = self.cdm.columns(table)
        schema = ", ".join(f"`{c}` {_SPARK_TYPE[t]}" for c, t in columns.items())
        if not self.cdm.rows.get(table):
            return spark.createDataFrame([], schema)
        path = str(self.cdm.folder / table)
        return spark.read.schema(schema).parquet(path).select(*(f"`{c}`" for c in columns))

    def session(self) -> EngineSession:
        return _SparkSession(self, self.spark.newSession())

    def ids_view(self, name: str) -> str:
        """The global temporary view of the engine's id relation ``name``."""
        return f"global_temp.{self._prefix}{name}"

    def _materialise(self, name: str, ids: frozenset[int]) -> None:
        """Checkpointed in the executors' block stores, one partition: a small relation
        every join broadcasts (see :meth:`_SparkSession.register_ids`).

        A checkpoint, not ``cache()``: a DataFrame made from local rows stays a
        ``LocalRelation`` whose rows are copied into the plan of every query that
        names it (Spark did not substitute the cache for it), so each query
        planned, compared and serialised all the ids again. The checkpoint's
        plan names only its blocks."""
        frame = self.spark.createDataFrame(ids_table(ids)).coalesce(1).localCheckpoint()
        frame.createOrReplaceGlobalTempView(self._prefix + name)
        self._frames[name] = frame

    def _drop(self, name: str) -> None:
        self.spark.catalog.dropGlobalTempView(self._prefix + name)
        frame = self._frames.pop(name, None)
        if frame is not None:  # the checkpoint's blocks (else freed when the JVM collects it)
            frame._jdf.queryExecution().analyzed().rdd().unpersist(False)

    def close(self) -> None:
        """The Spark session belongs to the process (``getOrCreate``); nothing to close here."""


class _SparkSession(EngineSession):
    dialect = "spark"

    def __init__(self, engine: SparkEngine, spark: SparkSession) -> None:
        self._spark, self._engine = spark, engine
        self._group = f"socle-{uuid.uuid4().hex[:12]}"
        self._local: set[str] = set()  # this session's views: they shadow nothing shared
        self._held: list[str] = []
        self._tables = frozenset(engine.tables)

    def _render(self, sql: str) -> str:
        """``sql`` in Spark SQL, each CDM table read from the engine's shared view."""
        import sqlglot
        from sqlglot import exp

        tree = sqlglot.parse_one(for_engine(sql, "spark"), read="spark")
        for table in tree.find_all(exp.Table):
            name = table.name.lower()
            if not table.db and name in self._tables and name not in self._local:
                table.set("this", exp.to_identifier(self._engine.shared(name)))
                table.set("db", exp.to_identifier("global_temp"))
                if not table.alias:
                    table.set("alias", exp.TableAlias(this=exp.to_identifier(name)))
        return tree.sql(dialect="spark")

    def register_ids(self, name: str, ids: frozenset[int]) -> None:
        """``name`` is the engine's cached relation of ``ids``, hinted for a broadcast join:
        the scans of the event tables are not shuffled to apply the consent filter."""
        from pyspark.sql.functions import broadcast

        stored = self._engine.acquire_ids(ids)
        self._held.append(stored)
        # Catalyst would otherwise copy each semi-join of a query onto the anti-join's id side
        # ("inferred filters"): one more scan of the event table and a broadcast per view
        # (measured 3x the time of the same query without consent filter). This session only.
        self._spark.conf.set("spark.sql.optimizer.excludedRules", NO_INFERRED_JOIN_FILTERS)
        frame = broadcast(self._spark.table(self._engine.ids_view(stored)))
        frame.createOrReplaceTempView(name)
        self._local.add(name)

    def create_view(self, name: str, sql: str) -> None:
        self._spark.sql(self._render(sql)).createOrReplaceTempView(name)
        self._local.add(name)

    def run(self, sql: str, params: Sequence[Any] = ()) -> pa.Table:
        from pyspark.errors import PySparkException

        context = self._spark.sparkContext
        context.setJobGroup(self._group, "socle governed query", interruptOnCancel=True)
        try:
            frame = self._spark.sql(self._render(sql), args=list(params) or None)
            return frame.toArrow()
        except PySparkException as exc:
            if "cancel" in str(exc).lower():
                raise QueryLimitError(
                    "the query was stopped at the workspace's time limit"
                ) from exc
            raise ScopeError(f"workspace query failed on Spark: {_first_line(exc)}") from exc
        except Exception as exc:  # py4j errors carry the JVM's message
            if "cancel" in str(exc).lower():
                raise QueryLimitError(
                    "the query was stopped at the workspace's time limit"
                ) from exc
            raise ScopeError(f"workspace query failed on Spark: {_first_line(exc)}") from exc
        finally:
            context.setLocalProperty("spark.jobGroup.id", None)  # type: ignore[arg-type]

    def interrupt(self) -> None:
        threading.Thread(
            target=self._spark.sparkContext.cancelJobGroup, args=(self._group,), daemon=True
        ).start()

    def close(self) -> None:
        for name in self._local:  # by name: listing the catalogue cost ~0.4 s of JVM CPU
            self._spark.catalog.dropTempView(name)
        self._local.clear()
        for stored in self._held:
            self._engine.release_ids(stored)
        self._held.clear()


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or ["(no message)"])[0][:300]


def spark_engine(folder: Path, master: str = "local[2]") -> SparkEngine:
    """The Spark engine over the Parquet CDM in ``folder`` (``SOCLE_ENGINE=spark``)."""
    return SparkEngine(open_cdm(folder), spark_session(master))
