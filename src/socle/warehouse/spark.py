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

_SPARK_TYPE = {
    "INTEGER": "INT",
    "BIGINT": "BIGINT",
    "VARCHAR": "STRING",
    "DATE": "DATE",
    "TIMESTAMP": "TIMESTAMP_NTZ",
    "DOUBLE": "DOUBLE",
}


def spark_session(
    master: str = "local[2]", *, shuffle_partitions: int = 4, driver_memory: str = "1g"
) -> SparkSession:
    """A Spark session for Socle: UTC, UI off, few shuffle partitions for small nodes.

    On a cluster, ``master`` is its URL (``spark://…``, ``yarn``, ``k8s://…``)
    and the other settings come from ``spark-defaults.conf`` as usual.
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:  # pragma: no cover - the spark extra is part of dev
        raise WarehouseError("the Spark engine needs pyspark: pip install 'socle[spark]'") from exc
    return (
        SparkSession.builder.master(master)
        .appName("socle")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.memory", driver_memory)
        .config("spark.sql.ansi.enabled", "false")
        .getOrCreate()
    )


class SparkEngine(Engine):
    """The Parquet CDM as Spark tables (one DataFrame per table, read lazily)."""

    name = "spark"

    def __init__(self, cdm: ParquetCDM, spark: SparkSession) -> None:
        super().__init__(cdm)
        self.spark = spark
        self.spark.sparkContext.setLogLevel("ERROR")

    def frame(self, spark: SparkSession, table: str) -> DataFrame:
        columns = self.cdm.columns(table)
        schema = ", ".join(f"`{c}` {_SPARK_TYPE[t]}" for c, t in columns.items())
        if not self.cdm.rows.get(table):
            return spark.createDataFrame([], schema)
        path = str(self.cdm.folder / table)
        return spark.read.schema(schema).parquet(path).select(*(f"`{c}`" for c in columns))

    def session(self) -> EngineSession:
        return _SparkSession(self, self.spark.newSession())

    def close(self) -> None:
        """The Spark session belongs to the process (``getOrCreate``); nothing to close here."""


class _SparkSession(EngineSession):
    dialect = "spark"

    def __init__(self, engine: SparkEngine, spark: SparkSession) -> None:
        self._spark, self._engine = spark, engine
        self._group = f"socle-{uuid.uuid4().hex[:12]}"
        self._registered: set[str] = set()
        for table in engine.tables:
            engine.frame(spark, table).createOrReplaceTempView(table)

    def register_ids(self, name: str, ids: frozenset[int]) -> None:
        if ids:
            frame = self._spark.createDataFrame(ids_table(ids))
        else:
            frame = self._spark.createDataFrame([], "person_id BIGINT")
        frame.createOrReplaceTempView(name)

    def create_view(self, name: str, sql: str) -> None:
        self._spark.sql(for_engine(sql, "spark")).createOrReplaceTempView(name)

    def run(self, sql: str, params: Sequence[Any] = ()) -> pa.Table:
        from pyspark.errors import PySparkException

        context = self._spark.sparkContext
        context.setJobGroup(self._group, "socle governed query", interruptOnCancel=True)
        try:
            frame = self._spark.sql(for_engine(sql, "spark"), args=list(params) or None)
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
        for name in self._spark.catalog.listTables():
            if name.isTemporary:
                self._spark.catalog.dropTempView(name.name)


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or ["(no message)"])[0][:300]


def spark_engine(folder: Path, master: str = "local[2]") -> SparkEngine:
    """The Spark engine over the Parquet CDM in ``folder`` (``SOCLE_ENGINE=spark``)."""
    return SparkEngine(open_cdm(folder), spark_session(master))
