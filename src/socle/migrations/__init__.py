"""Schema migrations of the governance store (Alembic), run by the node and ``socle migrate``.

The revisions live in ``versions/`` and ship with the package. ``0001`` is the
schema of the release of 2026-11-23 (the last one without migrations); a store
of that release (no ``alembic_version`` table) is brought forward from there.
An empty store is created from the current table declarations and stamped at
the head, as Alembic recommends; a test proves both ways give the same schema.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, Engine, MetaData, inspect, text

from socle.errors import SocleError


class MigrationError(SocleError):
    """The store cannot be moved to the asked revision."""


@dataclass(frozen=True)
class Upgrade:
    """What an upgrade did: the revision the store was at (None: before migrations) and is at."""

    before: str | None
    after: str

    def message(self, where: str) -> str:
        was = self.before or "the release of 2026-11-23 (before migrations)"
        return f"Upgraded the governance store {where} from {was} to revision {self.after}."


def _config(conn: Connection, tables: Sequence[MetaData] = ()) -> Config:
    config = Config()
    config.set_main_option("script_location", "socle:migrations")
    config.attributes["connection"] = conn
    config.attributes["tables"] = list(tables)
    return config


@cache
def _script() -> ScriptDirectory:
    """The revisions shipped with the package, read (and compiled by Alembic) once per process."""
    return ScriptDirectory.from_config(_config(None))  # type: ignore[arg-type]


def head() -> str:
    """The newest revision this code knows."""
    found = _script().get_current_head()
    assert found is not None  # the package ships its revisions
    return found


def current(engine: Engine) -> str | None:
    """The store's revision, or None for an empty store or one from before migrations."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(
    engine: Engine,
    tables: Sequence[MetaData],
    *,
    to: str = "head",
    report: Callable[[Upgrade], None] | None = None,
) -> Upgrade | None:
    """Bring the store to revision ``to``; return what changed (None: it was there).

    ``tables`` are every table of the store (the composition root's list): an
    empty store is created from them. Concurrent starters on PostgreSQL wait on
    an advisory lock, so one migrates and the others find the store current.
    """
    with _migrating(engine) as conn:
        before = MigrationContext.configure(conn).get_current_revision()
        newest = head() if to == "head" else to
        _check_known(before)
        if before == newest:
            return None
        if before is None and to == "head" and not inspect(conn).get_table_names():
            for metadata in tables:
                metadata.create_all(conn)
            MigrationContext.configure(conn).stamp(_script(), "head")
            return None
        command.upgrade(_config(conn, tables), to)
    done = Upgrade(before, newest)
    if report is not None:
        report(done)
    return done


def downgrade(engine: Engine, revision: str) -> str:
    """Move the store back to ``revision`` (converting its data); return the revision reached."""
    with _migrating(engine) as conn:
        if MigrationContext.configure(conn).get_current_revision() is None:
            raise MigrationError("the store has no migration history to go back through")
        try:
            command.downgrade(_config(conn), revision)
        except (CommandError, RuntimeError) as exc:
            raise MigrationError(f"cannot downgrade the store to '{revision}': {exc}") from exc
        reached = MigrationContext.configure(conn).get_current_revision()
    return reached or "base"


@contextmanager
def _migrating(engine: Engine) -> Iterator[Connection]:
    """One transaction for the whole migration, committed only if it all succeeded.

    PostgreSQL has transactional DDL; concurrent starters wait on an advisory
    lock. SQLite's driver would commit before each DDL statement and its
    foreign keys would refuse a table being copied, so the migration runs in an
    explicit ``BEGIN IMMEDIATE`` with foreign keys off, checked before commit.
    """
    with engine.connect() as conn:
        if conn.dialect.name != "sqlite":
            with conn.begin():
                if conn.dialect.name == "postgresql":
                    conn.execute(text("SELECT pg_advisory_xact_lock(7355608)"))
                yield conn
            return
        raw: Any = conn.connection.driver_connection
        conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        conn.commit()
        driver_mode, raw.isolation_level = raw.isolation_level, None
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            try:
                yield conn
                broken = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
                if broken:
                    raise MigrationError(f"the migration broke {len(broken)} foreign keys")
                conn.commit()
            except BaseException:
                conn.rollback()
                raise
        finally:
            raw.isolation_level = driver_mode
            conn.exec_driver_sql("PRAGMA foreign_keys=ON")
            conn.commit()


def _check_known(at: str | None) -> None:
    """Refuse a store newer than this code (a downgrade of the software, not of the store)."""
    if at is not None and at not in {r.revision for r in _script().walk_revisions()}:
        raise MigrationError(
            f"the governance store is at revision {at}, which this version of Socle does not "
            "know: it was upgraded by a newer Socle. Run that version, or restore a backup."
        )
