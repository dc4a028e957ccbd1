"""A store written by the release of 2026-11-23 (before migrations) upgrades with its data.

The fixture ``tests/fixtures/store-2026-11-23/`` was made by that release's own
``socle demo`` (see its SOURCE.md): requests, reviews, decisions, a grant,
consents, releases, models, predictions, observatory entries and the sealed
audit log. Every timestamp and JSON document must read back as the same value.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, MetaData, Table, inspect, select, text

from socle import migrations
from socle.config import Settings
from socle.migrations import MigrationError
from socle.node import Node, store_tables
from socle.store import Timestamp, open_engine
from tests.cli import socle

FIXTURE = Path(__file__).parents[1] / "fixtures" / "store-2026-11-23"
TABLES = {t.name: t for metadata in store_tables() for t in metadata.sorted_tables}


@pytest.fixture
def old_home(tmp_path: Path) -> Path:
    """A node home holding a copy of the old release's store, its audit key and anchors."""
    home = tmp_path / "home"
    shutil.copytree(FIXTURE, home, ignore=shutil.ignore_patterns("SOURCE.md"))
    (home / "secrets").chmod(0o700)
    (home / "secrets" / "audit.key").chmod(0o600)
    return home


@pytest.fixture
def old_engine(old_home: Path) -> Iterator[Engine]:
    engine = open_engine(f"sqlite:///{old_home / 'governance.sqlite'}")
    yield engine
    engine.dispose()


def _raw(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table as the store holds it, ordered by primary key."""
    found: dict[str, list[dict[str, Any]]] = {}
    with engine.connect() as conn:
        present = set(inspect(conn).get_table_names())
        for name, table in TABLES.items():
            if name not in present:  # a table that came after the release: empty
                found[name] = []
                continue
            order = ", ".join(f'"{c.name}"' for c in table.primary_key.columns)
            rows = conn.execute(text(f'SELECT * FROM "{name}" ORDER BY {order}')).mappings()
            found[name] = [dict(r) for r in rows]
    return found


def _typed(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    """Every row read through today's table declarations (JSON and timestamp types)."""
    with engine.connect() as conn:
        return {
            name: [
                dict(r)
                for r in conn.execute(select(table).order_by(*table.primary_key.columns)).mappings()
            ]
            for name, table in TABLES.items()
        }


def _json_columns(table: Table) -> list[str]:
    return [c.name for c in table.columns if "JSON" in repr(c.type)]


def _stamp_columns(table: Table) -> list[str]:
    return [c.name for c in table.columns if isinstance(c.type, Timestamp)]


def _assert_reads_back(before: dict[str, list[dict[str, Any]]], engine: Engine) -> None:
    after = _typed(engine)
    for name, table in TABLES.items():
        assert len(after[name]) == len(before[name]), name
        for old, new in zip(before[name], after[name], strict=True):
            for column in _stamp_columns(table):
                assert new[column] == old[column], (name, column)
            for column in _json_columns(table):
                expected = None if old[column] is None else orjson.loads(old[column])
                assert new[column] == expected, (name, column)


def test_the_fixture_holds_the_data_the_upgrade_must_keep(old_engine: Engine) -> None:
    raw = _raw(old_engine)
    for table in ("access_request", "committee_review", "committee_decision", "access_grant",
                  "consent_event", "audit_event", "output_request", "prediction", "obs_entry"):  # fmt: skip
        assert raw[table], f"the fixture has no {table} row"
    assert migrations.current(old_engine) is None


def test_a_store_of_the_release_before_migrations_upgrades_and_reads_back(
    old_engine: Engine,
) -> None:
    before = _raw(old_engine)
    done = migrations.upgrade(old_engine, store_tables())
    assert done is not None and done.before is None and done.after == migrations.head()
    assert migrations.current(old_engine) == migrations.head()
    _assert_reads_back(before, old_engine)
    assert migrations.upgrade(old_engine, store_tables()) is None  # current: nothing to do


def test_a_node_upgrades_its_store_at_start_says_so_and_reads_every_record(
    old_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = open_engine(f"sqlite:///{old_home / 'governance.sqlite'}")
    raw = _raw(engine)
    engine.dispose()
    node = Node.open(Settings(home=old_home))
    try:
        assert "Upgraded the governance store" in capsys.readouterr().err
        governance = node.governance
        request_ids = [r["id"] for r in raw["access_request"]]
        states = {governance.request(r)[1] for r in request_ids}
        assert "active" in states
        approved = next(r for r in request_ids if governance.request(r)[1] == "active")
        decision = governance.decisions(approved)[-1]
        assert decision.outcome == "approved" and decision.reviewers
        reviews = governance.reviews(approved)
        assert reviews and all(r.scores for r in reviews)
        grant = governance.grant(raw["access_grant"][0]["id"])
        assert grant.request_id == approved and grant.columns and grant.output_types
        times = {t.request_id: t for t in governance.decision_times()}
        assert times[approved].submitted_at == next(
            r["submitted_at"] for r in raw["access_request"] if r["id"] == approved
        )
        persons = {e["person_id"] for e in raw["consent_event"]}
        assert node.consent.persons_with_choices() == len(persons)
        verified = node.audit.verify()
        assert verified.events == len(raw["audit_event"]) + 0
    finally:
        node.close()


def test_a_migrated_store_has_the_schema_of_a_fresh_one(old_engine: Engine) -> None:
    migrations.upgrade(old_engine, store_tables())
    with old_engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), list(store_tables()))  # type: ignore[arg-type]
    assert differences == []


def test_downgrade_gives_back_the_text_the_old_release_wrote(old_engine: Engine) -> None:
    before = _raw(old_engine)
    migrations.upgrade(old_engine, store_tables())
    assert migrations.downgrade(old_engine, "0001") == "0001"
    assert _raw(old_engine) == before


def test_downgrade_below_the_first_revision_is_refused_plainly(old_engine: Engine) -> None:
    migrations.upgrade(old_engine, store_tables())
    with pytest.raises(MigrationError, match="nothing older"):
        migrations.downgrade(old_engine, "base")
    assert migrations.current(old_engine) == migrations.head()


def test_a_store_from_a_newer_socle_is_refused(tmp_path: Path) -> None:
    engine = open_engine(f"sqlite:///{tmp_path / 'g.sqlite'}")
    migrations.upgrade(engine, store_tables())
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(MigrationError, match="newer Socle"):
        migrations.upgrade(engine, store_tables())
    engine.dispose()


def test_socle_migrate_shows_upgrades_and_steps_back(old_home: Path) -> None:
    assert "none" in socle("migrate", "current", home=old_home).stdout
    upgraded = socle("migrate", "upgrade", home=old_home)
    assert upgraded.returncode == 0 and "Upgraded the governance store" in upgraded.stdout
    assert "up to date" in socle("migrate", "current", home=old_home).stdout
    assert "store revision: 0001" in socle("migrate", "downgrade", "0001", home=old_home).stdout
    refused = socle("migrate", "downgrade", "base", home=old_home)
    assert refused.returncode != 0 and "nothing older" in refused.text


def _fits(table: Table, row: Any) -> bool:
    """Whether PostgreSQL takes the row: the old release's PostgreSQL nodes could not write a
    ledger release id over 60 characters (SQLite does not check lengths; 0002 widens it)."""
    for column in table.columns:
        limit, value = getattr(column.type, "length", None), row[column.name]
        if limit and isinstance(value, str) and len(value) > limit:
            return False
    return True


def _copy_rows(source: Engine, target: Engine) -> None:
    """Copy every row of the old store into a PostgreSQL store at revision 0001."""
    old, new = MetaData(), MetaData()
    old.reflect(source)
    new.reflect(target)
    with source.connect() as src, target.begin() as dst:
        for table in new.sorted_tables:
            if table.name == "alembic_version" or table.name not in old.tables:
                continue
            rows = [
                dict(r)
                for r in src.execute(select(old.tables[table.name])).mappings()
                if _fits(table, r)
            ]
            if rows:
                dst.execute(table.insert(), rows)
        for table in new.sorted_tables:  # serial ids continue after the copied ones
            for column in table.primary_key.columns:
                if column.autoincrement is True or (
                    column.type.python_type is int and column.server_default is not None
                ):
                    dst.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{table.name}', "
                            f"'{column.name}'), coalesce(max({column.name}), 1)) "
                            f"FROM {table.name}"
                        )
                    )


def test_a_postgresql_store_of_the_old_schema_upgrades_and_downgrades(
    old_engine: Engine, postgres_admin_url: str
) -> None:
    from tests.integration.postgres import fresh_database

    engine = open_engine(fresh_database(postgres_admin_url))
    try:
        migrations.upgrade(engine, store_tables(), to="0001")
        _copy_rows(old_engine, engine)
        before = _raw(engine)
        migrations.upgrade(engine, store_tables())
        assert migrations.current(engine) == migrations.head()
        _assert_reads_back(before, engine)
        with engine.connect() as conn:
            kinds: dict[str, str] = dict(
                conn.execute(  # type: ignore[arg-type]
                    text(
                        "SELECT column_name, data_type FROM information_schema.columns "
                        "WHERE table_name = 'access_request'"
                    )
                ).all()
            )
        assert kinds["created_at"] == "timestamp with time zone" and kinds["body"] == "jsonb"
        migrations.downgrade(engine, "0001")
        after = _raw(engine)
        for name, table in TABLES.items():
            for old, new in zip(before[name], after[name], strict=True):
                for column in _stamp_columns(table):
                    assert new[column] == old[column], (name, column)
                for column in _json_columns(table):
                    assert (new[column] and orjson.loads(new[column])) == (
                        old[column] and orjson.loads(old[column])
                    ), (name, column)
    finally:
        engine.dispose()
