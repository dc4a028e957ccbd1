"""The governance store: one SQLAlchemy engine, tables owned by each context.

Each context declares its tables on :data:`metadata` in its own module and is
the only one to query them; other contexts call its service functions.
SQLite is the embedded default; a PostgreSQL URL works unchanged.

The engine keeps a pool of connections (``pool_size`` kept open, ``max_overflow``
more under load), so the API's worker threads each use their own connection.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from sqlalchemy import Engine, MetaData, create_engine, event

metadata = MetaData()

SqliteSync = Literal["full", "normal"]


def open_engine(
    url: str, *, sqlite_synchronous: SqliteSync = "full", pool_size: int = 8, max_overflow: int = 8
) -> Engine:
    """Create the engine and every context's tables (idempotent).

    ``sqlite_synchronous`` (SQLite only): ``full`` syncs every commit to disk;
    ``normal`` (WAL) cannot corrupt the store but may lose the last commits on
    power loss, an operator's durability/throughput trade-off.
    """
    # Import for side effect: each context registers its tables on `metadata`.
    from socle import (  # noqa: F401
        ai,
        audit,
        catalog,
        consent,
        federation,
        governance,
        guarantee,
        observatory,
        release,
        workspace,
    )

    if url.startswith("sqlite"):
        in_memory = url in ("sqlite://", "sqlite:///:memory:")  # one connection, no pool
        pool = {} if in_memory else {"pool_size": pool_size, "max_overflow": max_overflow}
        engine = create_engine(url, **pool)
        event.listen(engine, "connect", _sqlite_pragmas(sqlite_synchronous))
    else:
        engine = create_engine(
            url, pool_size=pool_size, max_overflow=max_overflow, pool_pre_ping=True
        )
    metadata.create_all(engine)
    return engine


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
