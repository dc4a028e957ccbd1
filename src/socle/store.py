"""The governance store: one SQLAlchemy engine, tables owned by each context.

Each context declares its tables on :data:`metadata` in its own module and is
the only one to query them; other contexts call its service functions.
SQLite is the embedded default; a PostgreSQL URL works unchanged.
"""

from __future__ import annotations

from sqlalchemy import Engine, MetaData, create_engine, event

metadata = MetaData()


def open_engine(url: str) -> Engine:
    """Create the engine and every context's tables (idempotent)."""
    # Import for side effect: each context registers its tables on `metadata`.
    from socle import ai, audit, catalog, consent, governance, guarantee, workspace  # noqa: F401

    engine = create_engine(url, future=True)
    if url.startswith("sqlite"):
        event.listen(engine, "connect", _sqlite_pragmas)
    metadata.create_all(engine)
    return engine


def _sqlite_pragmas(dbapi_conn: object, _record: object) -> None:
    cursor = dbapi_conn.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
