"""The governance store: one SQLAlchemy engine over the tables the node composes.

Each context declares its tables on a :class:`~sqlalchemy.MetaData` of its own
(exported as ``TABLES``) and is the only one to query them; the composition
root (:mod:`socle.node`) decides which contexts make up the store and brings it
to the current schema with :mod:`socle.migrations`. Nothing here imports a
context. SQLite is the embedded default; a PostgreSQL URL works unchanged.

The engine keeps a pool of connections (``pool_size`` kept open, ``max_overflow``
more under load), so the API's worker threads each use their own connection.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, Literal, TypeVar

import orjson
from sqlalchemy import (
    JSON,
    Connection,
    DateTime,
    Dialect,
    Engine,
    MetaData,
    Select,
    create_engine,
    event,
    func,
    select,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator, TypeEngine

T = TypeVar("T")
SqliteSync = Literal["full", "normal"]
Timespec = Literal["seconds", "milliseconds", "microseconds"]

# A JSON document: SQLite keeps its text, PostgreSQL a JSONB value. SQL NULL stays NULL.
Json: TypeEngine[Any] = JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")


class Timestamp(TypeDecorator[str]):
    """A timezone-aware instant (``timestamptz`` on PostgreSQL), read as ISO-8601 UTC text.

    Binds an aware :class:`datetime` or its ISO text; refuses a naive one. Reads
    back the UTC instant as ``isoformat(timespec=...)``, the text the domain
    records have always carried, so comparisons and ordering happen in SQL on
    real instants while the records keep one stable, sortable representation.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def __init__(self, timespec: Timespec = "microseconds") -> None:
        super().__init__()
        self.timespec = timespec

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value
        if not isinstance(moment, datetime) or moment.tzinfo is None:
            raise ValueError(f"a stored timestamp needs a time zone, not {value!r}")
        moment = moment.astimezone(UTC)
        # SQLite has no time zone type: it keeps the UTC wall time.
        return moment.replace(tzinfo=None) if dialect.name == "sqlite" else moment

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return str(moment.astimezone(UTC).isoformat(timespec=self.timespec))


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a longer list: its items, and how many there are in all."""

    items: list[T]
    total: int
    limit: int
    offset: int


def fetch_page(
    conn: Connection, query: Select[Any], limit: int, offset: int, row: Callable[[Any], T]
) -> Page[T]:
    """Run ``query`` for one page (SQL ``LIMIT``/``OFFSET``) and count all its rows in SQL."""
    if limit < 0 or offset < 0:
        raise ValueError("a page needs limit >= 0 and offset >= 0")
    total = conn.execute(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = conn.execute(query.limit(limit).offset(offset))
    return Page([row(r) for r in rows], int(total.scalar_one()), limit, offset)


def open_engine(
    url: str, *, sqlite_synchronous: SqliteSync = "full", pool_size: int = 8, max_overflow: int = 8
) -> Engine:
    """Create the engine (no tables: see :func:`socle.migrations.upgrade`).

    ``sqlite_synchronous`` (SQLite only): ``full`` syncs every commit to disk;
    ``normal`` (WAL) cannot corrupt the store but may lose the last commits on
    power loss, an operator's durability/throughput trade-off.
    """
    json = {"json_serializer": _json_text, "json_deserializer": orjson.loads}
    if url.startswith("sqlite"):
        in_memory = url in ("sqlite://", "sqlite:///:memory:")  # one connection, no pool
        pool = {} if in_memory else {"pool_size": pool_size, "max_overflow": max_overflow}
        engine = create_engine(url, **pool, **json)
        event.listen(engine, "connect", _sqlite_pragmas(sqlite_synchronous))
    else:
        engine = create_engine(
            url, pool_size=pool_size, max_overflow=max_overflow, pool_pre_ping=True, **json
        )
    return engine


def create_tables(engine: Engine, tables: Iterable[MetaData]) -> Engine:
    """Create these tables as they are declared now, without migration history.

    For a context's own tests on a throwaway store; a node's store goes
    through :func:`socle.migrations.upgrade`.
    """
    for metadata in tables:
        metadata.create_all(engine)
    return engine


def _json_text(value: Any) -> str:
    """A JSON document's text (NumPy numbers, as released tables hold, become plain numbers)."""
    return orjson.dumps(value, option=orjson.OPT_SERIALIZE_NUMPY).decode()


def _sqlite_pragmas(synchronous: SqliteSync) -> Callable[[Any, Any], None]:
    """The one connect listener of a SQLite store: WAL, foreign keys, sync mode, lock wait."""

    def on_connect(dbapi_conn: object, _record: object) -> None:
        cursor = dbapi_conn.cursor()  # type: ignore[attr-defined]
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA synchronous={synchronous.upper()}")
        cursor.execute("PRAGMA busy_timeout=10000")  # concurrent writers wait, up to 10 s
        cursor.close()

    return on_connect
