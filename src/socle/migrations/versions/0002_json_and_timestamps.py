"""Timestamps become timezone-aware DateTime columns; governance documents become JSON.

Also widens ``ledger_cell.release_id`` to 200 characters (60 refused the demo on PostgreSQL).

Every ``*_at`` text column (ISO-8601 with an offset) becomes ``timestamptz`` on
PostgreSQL and SQLAlchemy's DateTime storage on SQLite, its values converted to
the same UTC instant. The audit log's ``at`` stays the text its hash chain
sealed (ADR 0017). The governance tables' JSON text becomes JSON (JSONB on
PostgreSQL). Downgrade writes the ISO text back, as release 2026-11-23 wrote it.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# table -> column -> (timespec its writers used, nullable)
TIMESTAMPS: dict[str, dict[str, tuple[str, bool]]] = {
    "access_request": {
        "created_at": ("microseconds", False),
        "submitted_at": ("microseconds", True),
        "decided_at": ("microseconds", True),
    },
    "committee_decision": {"decided_at": ("microseconds", False)},
    "conflict_of_interest": {"declared_at": ("microseconds", False)},
    "committee_review": {"submitted_at": ("microseconds", False)},
    "consent_event": {"recorded_at": ("microseconds", False)},
    "catalog_dataset": {"registered_at": ("seconds", False), "quality_at": ("seconds", True)},
    "ai_model": {"created_at": ("seconds", False)},
    "prediction": {"created_at": ("seconds", False), "decided_at": ("seconds", True)},
    "api_user": {"created_at": ("seconds", False)},
    "api_job": {"created_at": ("milliseconds", False), "finished_at": ("milliseconds", True)},
    "workspace_result": {"created_at": ("microseconds", False)},
    "workspace_job": {"created_at": ("microseconds", False), "ended_at": ("microseconds", True)},
    "output_request": {"created_at": ("microseconds", False), "decided_at": ("microseconds", True)},
    "output_review": {"at": ("microseconds", False)},
    "output_checker": {"appointed_at": ("microseconds", False)},
    "ledger_cell": {"recorded_at": ("microseconds", False)},
    "dp_spend": {"at": ("microseconds", False)},
    "obs_entry": {"created_at": ("seconds", False), "updated_at": ("seconds", False)},
    "obs_entry_version": {
        "submitted_at": ("seconds", False),
        "reviewed_at": ("seconds", True),
        "published_at": ("seconds", True),
    },
    "obs_declaration": {"declared_at": ("seconds", False)},
    "obs_method": {"adopted_at": ("seconds", False)},
    "obs_live_snapshot": {"taken_at": ("seconds", False)},
    "obs_ranking": {"recorded_at": ("seconds", False)},
}

# table -> column -> nullable
DOCUMENTS: dict[str, dict[str, bool]] = {
    "access_request": {"body": False, "checks": False},
    "committee_decision": {"reviewers": False},
    "committee_review": {"scores": False, "comments": False},
    "access_grant": {"columns": False, "output_types": False, "population": True},
}

_SQLITE_FORMAT = "%Y-%m-%d %H:%M:%S.%f"  # SQLAlchemy's DateTime storage on SQLite (UTC here)


def upgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        _alter_postgresql(to_new=True)
    else:
        _alter_sqlite(to_new=True)
    # A ledger release id is the output request's id and the output's name: 60 characters
    # refused the demo's own release on PostgreSQL (SQLite does not check lengths).
    with op.batch_alter_table("ledger_cell") as batch:
        batch.alter_column("release_id", type_=sa.String(200), existing_type=sa.String(60))


def downgrade() -> None:
    with op.batch_alter_table("ledger_cell") as batch:
        batch.alter_column("release_id", type_=sa.String(60), existing_type=sa.String(200))
    if op.get_context().dialect.name == "postgresql":
        _alter_postgresql(to_new=False)
    else:
        _alter_sqlite(to_new=False)


def _tables() -> list[str]:
    present = set(sa.inspect(op.get_bind()).get_table_names())
    return sorted(t for t in {*TIMESTAMPS, *DOCUMENTS} if t in present)


def _alter_postgresql(*, to_new: bool) -> None:
    text = sa.String(40)
    kind: sa.types.TypeEngine[Any]
    for table in _tables():
        for column, (timespec, nullable) in TIMESTAMPS.get(table, {}).items():
            if to_new:
                kind, using = sa.DateTime(timezone=True), f"{column}::timestamptz"
            else:
                fraction = {"seconds": "", "milliseconds": ".MS", "microseconds": ".US"}[timespec]
                pattern = f'YYYY-MM-DD"T"HH24:MI:SS{fraction}"+00:00"'
                kind, using = text, f"to_char({column} AT TIME ZONE 'UTC', '{pattern}')"
            op.alter_column(
                table, column, type_=kind, existing_nullable=nullable, postgresql_using=using
            )
        for column, nullable in DOCUMENTS.get(table, {}).items():
            kind = postgresql.JSONB() if to_new else sa.Text()
            using = f"{column}::jsonb" if to_new else f"{column}::text"
            op.alter_column(
                table, column, type_=kind, existing_nullable=nullable, postgresql_using=using
            )


def _alter_sqlite(*, to_new: bool) -> None:
    """Each column is rebuilt: a new column filled with the converted values takes its place.

    (Alembic's batch mode would ``CAST`` the text to the new type, and SQLite's
    CAST to a DATETIME or JSON column keeps only a leading number.)
    """
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    for table in _tables():
        changed: dict[str, tuple[sa.types.TypeEngine[Any], bool, str | None]] = {}
        for column, (precision, nullable) in TIMESTAMPS.get(table, {}).items():
            stamp = sa.DateTime(timezone=True) if to_new else sa.String(40)
            changed[column] = (stamp, nullable, precision)
        for column, nullable in DOCUMENTS.get(table, {}).items():
            changed[column] = (sa.JSON() if to_new else sa.Text(), nullable, None)
        indexes = [i for i in inspector.get_indexes(table) if set(i["column_names"]) & set(changed)]
        for index in indexes:
            op.drop_index(str(index["name"]), table_name=table)
        for column, (new_type, _, timespec) in changed.items():
            op.add_column(table, sa.Column(f"{column}__new", new_type, nullable=True))
            rows = bind.execute(sa.text(f'SELECT rowid, "{column}" FROM "{table}"')).all()
            update = sa.text(f'UPDATE "{table}" SET "{column}__new" = :value WHERE rowid = :rowid')
            values = [
                {"rowid": rowid, "value": _convert(value, timespec, to_new=to_new)}
                for rowid, value in rows
                if value is not None
            ]
            if values:
                bind.execute(update, values)
        with op.batch_alter_table(table) as batch:
            for column, (new_type, nullable, _) in changed.items():
                batch.drop_column(column)
                batch.alter_column(
                    f"{column}__new", new_column_name=column, existing_type=new_type,
                    nullable=nullable,
                )  # fmt: skip
        for index in indexes:
            columns = [str(c) for c in index["column_names"]]
            op.create_index(str(index["name"]), table, columns, unique=bool(index["unique"]))


def _convert(value: str, timespec: str | None, *, to_new: bool) -> str:
    if timespec is None:  # a JSON document: SQLite keeps the same text
        return value
    if to_new:
        moment = datetime.fromisoformat(value)
        moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
        return moment.replace(tzinfo=None).strftime(_SQLITE_FORMAT)
    moment = datetime.strptime(value, _SQLITE_FORMAT).replace(tzinfo=UTC)
    return moment.isoformat(timespec=timespec)
