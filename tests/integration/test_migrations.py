"""A store written by the release of 2026-11-23 (before migrations) upgrades with its data.

The fixture ``tests/fixtures/store-2026-11-23/`` was made by that release's own
``socle demo`` (see its SOURCE.md): requests, reviews, decisions, a grant,
consents, releases, models, predictions, observatory entries and the sealed
audit log. Every timestamp and JSON document must read back as the same value.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Date, Engine, MetaData, Table, inspect, select, text

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


def _date_columns(table: Table) -> list[str]:
    return [c.name for c in table.columns if type(c.type) is Date]


def _instant(value: str | datetime) -> datetime:
    """The UTC instant of a stored time: ISO text or a datetime, naive meaning UTC."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _document(value: Any) -> Any:
    return orjson.loads(value) if isinstance(value, str) else value


def _assert_reads_back(
    before: dict[str, list[dict[str, Any]]], engine: Engine, only: Iterable[str] = TABLES
) -> None:
    """Rows read through today's declarations hold the values the old store held: the same
    ISO text for a timestamp the old code wrote with an offset (the same aware instant for
    one it wrote naive), equal JSON documents, the same days."""
    after = _typed(engine)
    for name in only:
        table = TABLES[name]
        assert len(after[name]) == len(before[name]), name
        for old, new in zip(before[name], after[name], strict=True):
            for column in _stamp_columns(table):
                if old[column] is None:
                    assert new[column] is None, (name, column)
                    continue
                moment = datetime.fromisoformat(new[column])
                assert moment.tzinfo is not None, (name, column)
                assert moment == _instant(old[column]), (name, column)
                if isinstance(old[column], str) and "+" in old[column]:
                    assert new[column] == old[column], (name, column)  # the same text at the edge
            for column in _json_columns(table):
                expected = None if old[column] is None else _document(old[column])
                assert new[column] == expected, (name, column)
            for column in _date_columns(table):
                if old[column] is None:
                    assert new[column] is None, (name, column)
                    continue
                assert isinstance(new[column], date), (name, column)
                assert new[column].isoformat() == str(old[column]), (name, column)


# Tables revisions 0003 and 0004 added: the fixture's release had none of them, so their rows
# are written here as that code wrote them (JSON as orjson text, times as ISO text with an
# offset, the federation's as naive UTC DateTime, an outcome's day as ISO text).
LATER_TABLES = (
    "ai_model_record", "ai_model_transition", "college_member", "college_decision",
    "guarantee_alert", "prediction_outcome", "federation_study", "federation_acceptance",
    "federation_model",
)  # fmt: skip
MODEL = "model-95c9b871"  # the fixture's model


def _j(value: Any) -> str:
    return orjson.dumps(value).decode()


def _later_rows() -> dict[str, list[dict[str, Any]]]:
    lineage = {"grant": "grant-5f5633e459", "trained_at": "2026-11-23T19:47:58+00:00"}
    return {
        "ai_model_record": [
            {"model_id": MODEL, "definition_id": "hypertension_5y", "version": 1,
             "stage": "deployed", "stage_reason": "college: validated",
             "stage_at": "2026-11-23T19:50:01+00:00", "artifact_sha256": "a" * 64,
             "notice_sha256": "b" * 64, "features": _j(["age", "sex_female", "bmi"]),
             "lineage": _j(lineage), "report": _j({"discrimination": {"auroc": 0.7134}}),
             "restricted_to": _j(["emergency", "cardiology"]),
             "reference": _j({"features": {"age": {"edges": [0, 40.5], "shares": [0.25, 0.75]}}})},
            {"model_id": "model-00000002", "definition_id": "hypertension_5y", "version": 2,
             "stage": "development", "stage_reason": "registered",
             "stage_at": "2026-11-23T20:01:00+00:00", "artifact_sha256": "c" * 64,
             "notice_sha256": "d" * 64, "features": _j([]), "lineage": _j({}),
             "report": _j({}), "restricted_to": None, "reference": None},
        ],
        "ai_model_transition": [
            {"id": 1, "model_id": MODEL, "from_stage": "validated", "to_stage": "deployed",
             "actor": "Dr Reviewer", "role": "college_member", "reason": "college: validated",
             "at": "2026-11-23T19:50:01+00:00"},
        ],
        "college_member": [
            {"name": "Dr Reviewer", "expertise": "cardiology", "active": True,
             "appointed_at": "2026-11-23T19:49:00+00:00"},
        ],
        "college_decision": [
            {"id": "cdec-1", "model_id": MODEL, "decision": "restrict", "reason": "scope",
             "care_contexts": _j(["emergency", "cardiology"]), "decided_by": "Dr Reviewer",
             "decided_at": "2026-11-23T19:51:00+00:00"},
            {"id": "cdec-2", "model_id": MODEL, "decision": "keep", "reason": "fine",
             "care_contexts": None, "decided_by": "Dr Reviewer",
             "decided_at": "2026-11-23T19:52:30+00:00"},
        ],
        "guarantee_alert": [
            {"id": "alert-1", "model_id": MODEL, "kind": "input_drift", "subject": "age",
             "value": 0.31, "threshold": 0.25, "message": "PSI of age: 0.31", "status": "open",
             "raised_at": "2026-11-23T19:53:00+00:00"},
        ],
        "prediction_outcome": [
            {"prediction_id": "pred-7769304df3", "occurred": True, "observed_on": "2026-12-01",
             "source": "manual", "recorded_by": "Dr Clinician",
             "recorded_at": datetime(2026, 12, 2, 9, 30, tzinfo=UTC)},
        ],
        "federation_study": [
            {"id": "study-1", "grant_id": "grant-hub", "title": "hypertension", "quorum": 2,
             "created_at": datetime(2026, 11, 23, 19, 40, 1, 123456)},
        ],
        "federation_acceptance": [
            {"study_id": "study-1", "grant_id": "grant-site", "state": "accepted",
             "reason": "", "updated_at": datetime(2026, 11, 23, 19, 41, 2, 5)},
        ],
        "federation_model": [
            {"id": "fedmodel-1", "study_id": "study-1",
             "lineage": _j({"study": "study-1", "sites": {"a": "grant-a"}, "rounds": 3}),
             "weights": _j({"weights": [0.5, -1.25, 0.1], "means": [50.0], "stds": [12.5]}),
             "created_at": datetime(2026, 11, 23, 19, 45, 0)},
        ],
    }  # fmt: skip


def _write_later_rows(engine: Engine) -> None:
    """Write those rows into a store at revision 0004, through its reflected tables."""
    assert migrations.current(engine) == "0004"
    reflected = MetaData()
    reflected.reflect(engine, only=list(LATER_TABLES))
    with engine.begin() as conn:
        for name, rows in _later_rows().items():
            conn.execute(reflected.tables[name].insert(), rows)


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


def test_rows_of_revision_0004_tables_read_back_as_objects_after_the_upgrade(
    old_engine: Engine,
) -> None:
    migrations.upgrade(old_engine, store_tables(), to="0004")
    _write_later_rows(old_engine)
    before = _raw(old_engine)
    migrations.upgrade(old_engine, store_tables())
    _assert_reads_back(before, old_engine)
    typed = _typed(old_engine)
    record = next(r for r in typed["ai_model_record"] if r["model_id"] == MODEL)
    assert record["features"] == ["age", "sex_female", "bmi"]
    assert record["restricted_to"] == ["emergency", "cardiology"]
    assert record["stage_at"] == "2026-11-23T19:50:01+00:00"
    assert typed["prediction_outcome"][0]["observed_on"] == date(2026, 12, 1)
    study = typed["federation_study"][0]["created_at"]
    assert datetime.fromisoformat(study) == datetime(2026, 11, 23, 19, 40, 1, 123456, tzinfo=UTC)
    assert typed["federation_model"][0]["weights"]["weights"] == [0.5, -1.25, 0.1]


def test_revision_0005_steps_down_to_the_old_text_and_up_again(old_engine: Engine) -> None:
    migrations.upgrade(old_engine, store_tables(), to="0004")
    _write_later_rows(old_engine)
    before = _raw(old_engine)
    migrations.upgrade(old_engine, store_tables())
    assert migrations.downgrade(old_engine, "0004") == "0004"
    assert _raw(old_engine) == before  # the very text the code of revision 0004 wrote
    migrations.upgrade(old_engine, store_tables())
    assert migrations.current(old_engine) == migrations.head()
    _assert_reads_back(before, old_engine)


def test_a_timestamp_written_without_offset_is_read_as_utc(old_engine: Engine) -> None:
    migrations.upgrade(old_engine, store_tables(), to="0004")
    _write_later_rows(old_engine)
    with old_engine.begin() as conn:
        conn.execute(text("UPDATE guarantee_alert SET raised_at = '2026-11-23T19:53:00'"))
    migrations.upgrade(old_engine, store_tables())
    (alert,) = _typed(old_engine)["guarantee_alert"]
    assert alert["raised_at"] == "2026-11-23T19:53:00+00:00"


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
        migrations.upgrade(engine, store_tables(), to="0004")
        _write_later_rows(engine)
        later = {name: rows for name, rows in _raw(engine).items() if name in LATER_TABLES}
        migrations.upgrade(engine, store_tables())
        assert migrations.current(engine) == migrations.head()
        _assert_reads_back(before, engine, only=[n for n in TABLES if n not in LATER_TABLES])
        _assert_reads_back(later, engine, only=LATER_TABLES)
        with engine.connect() as conn:
            kinds: dict[tuple[str, str], str] = {
                (t, c): k
                for t, c, k in conn.execute(
                    text(
                        "SELECT table_name, column_name, data_type FROM information_schema.columns"
                    )
                ).all()
            }
        for stamp in (("access_request", "created_at"), ("ai_model_record", "stage_at"),
                      ("federation_study", "created_at"), ("obs_ranking", "as_of")):  # fmt: skip
            assert kinds[stamp] == "timestamp with time zone", stamp
        for document in (("access_request", "body"), ("prediction", "inputs"),
                         ("output_item", "rows"), ("api_user", "roles")):  # fmt: skip
            assert kinds[document] == "jsonb", document
        assert kinds[("prediction_outcome", "observed_on")] == "date"
        migrations.downgrade(engine, "0004")  # and up again: 0005 steps both ways
        for name, rows in _raw(engine).items():
            documents = _json_columns(TABLES[name])
            for old, new in zip(later.get(name, []), rows if name in later else [], strict=True):
                for column, value in new.items():
                    if column in documents:  # PostgreSQL writes JSONB back in its own spacing
                        assert _document(value) == _document(old[column]), (name, column)
                    else:
                        assert value == old[column], (name, column)
        migrations.upgrade(engine, store_tables())
        _assert_reads_back(later, engine, only=LATER_TABLES)
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
