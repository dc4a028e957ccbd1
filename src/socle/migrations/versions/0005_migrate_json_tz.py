"""Every other context's JSON text becomes JSON, its timestamp text timezone-aware DateTime.

Revision 0002 did this for the governance tables and every ``*_at`` column of
release 2026-11-23; this one finishes the store. JSON documents kept as text
(``orjson.dumps(...).decode()``) in the release, workspace, AI, guarantee,
observatory, catalogue, API and federation tables become JSON (JSONB on
PostgreSQL). The timestamps revision 0004 added as text (the model registry's
stage times, the college's, the monitoring alerts') and the ranking's ``as_of``
become ``timestamptz`` on PostgreSQL and SQLAlchemy's DateTime storage on
SQLite, converted to the same UTC instant (a value without an offset is UTC).
A prediction's outcome day becomes a DATE. The federation's naive UTC
DateTime columns become timezone-aware (on SQLite their stored text is already
that of an aware column). The audit log is left as it is: its ``at`` and
``details`` are the text its hash chain sealed (ADR 0017).

Downgrade writes the text back as revision 0004's code wrote it.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# table -> column -> nullable: JSON documents stored as text
DOCUMENTS: dict[str, dict[str, bool]] = {
    "output_item": {
        "checks": False, "columns": False, "rows": False, "provenance": False, "ledger": True,
    },
    "ledger_cell": {"dims": False, "labels": False},
    "workspace_result": {"columns": False},
    "workspace_job": {"params": False, "results": False, "limits": False},
    "ai_model": {"metrics": False},
    "ai_model_record": {
        "features": False, "lineage": False, "report": False, "restricted_to": True,
        "reference": True,
    },
    "prediction": {"inputs": False, "explanation": False},
    "college_decision": {"care_contexts": True},
    "obs_entry_version": {"data": False},
    "obs_declaration": {"makers": False, "entries": False},
    "obs_live_snapshot": {"figures": False},
    "catalog_dataset": {"themes": False, "keywords": False, "quality": True},
    "api_user": {"roles": False, "care_contexts": False},
    "api_job": {"result": True},
    "federation_model": {"lineage": False, "weights": False},
}  # fmt: skip

# table -> column -> (timespec its writers used, nullable): ISO-8601 text with an offset
TIMESTAMPS: dict[str, dict[str, tuple[str, bool]]] = {
    "ai_model_record": {"stage_at": ("seconds", False)},
    "ai_model_transition": {"at": ("seconds", False)},
    "college_member": {"appointed_at": ("seconds", False)},
    "college_decision": {"decided_at": ("seconds", False)},
    "guarantee_alert": {"raised_at": ("seconds", False)},
    "obs_ranking": {"as_of": ("seconds", False)},
}

# table -> column -> nullable: ISO dates stored as text
DATES: dict[str, dict[str, bool]] = {"prediction_outcome": {"observed_on": False}}

# table -> column -> nullable: naive DateTime columns holding UTC wall time
NAIVE: dict[str, dict[str, bool]] = {
    "federation_study": {"created_at": False},
    "federation_acceptance": {"updated_at": False},
    "federation_model": {"created_at": False},
}

# Text lengths the downgrade gives back (0004's declarations)
_TEXT: dict[tuple[str, str], sa.types.TypeEngine[Any]] = {
    ("prediction_outcome", "observed_on"): sa.String(10)
}
_SQLITE_FORMAT = "%Y-%m-%d %H:%M:%S.%f"  # SQLAlchemy's DateTime storage on SQLite (UTC here)
# A unique constraint over a rebuilt column: SQLite drops it with the old column, then makes it again
_UNIQUE = {"obs_ranking": ("uq_obs_ranking", ["category", "method_version", "as_of"])}


def upgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        _alter_postgresql(to_new=True)
    else:
        _alter_sqlite(to_new=True)


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        _alter_postgresql(to_new=False)
    else:
        _alter_sqlite(to_new=False)


def _tables() -> list[str]:
    present = set(sa.inspect(op.get_bind()).get_table_names())
    return sorted(t for t in {*DOCUMENTS, *TIMESTAMPS, *DATES, *NAIVE} if t in present)


def _alter_postgresql(*, to_new: bool) -> None:
    """``ALTER COLUMN ... TYPE ... USING``: PostgreSQL converts each value in place."""
    op.execute("SET LOCAL TIME ZONE 'UTC'")  # a timestamp text without an offset is UTC
    for table in _tables():
        changes: list[tuple[str, sa.types.TypeEngine[Any], str, bool]] = []
        for column, nullable in DOCUMENTS.get(table, {}).items():
            if to_new:
                changes.append((column, postgresql.JSONB(), f"{column}::jsonb", nullable))
            else:
                changes.append((column, sa.Text(), f"{column}::text", nullable))
        for column, (timespec, nullable) in TIMESTAMPS.get(table, {}).items():
            if to_new:
                kind: sa.types.TypeEngine[Any] = sa.DateTime(timezone=True)
                changes.append((column, kind, f"{column}::timestamptz", nullable))
            else:
                fraction = {"seconds": "", "milliseconds": ".MS", "microseconds": ".US"}[timespec]
                pattern = f'YYYY-MM-DD"T"HH24:MI:SS{fraction}"+00:00"'
                using = f"to_char({column} AT TIME ZONE 'UTC', '{pattern}')"
                changes.append((column, sa.String(40), using, nullable))
        for column, nullable in DATES.get(table, {}).items():
            if to_new:
                changes.append((column, sa.Date(), f"{column}::date", nullable))
            else:
                using = f"to_char({column}, 'YYYY-MM-DD')"
                changes.append((column, _TEXT[(table, column)], using, nullable))
        for column, nullable in NAIVE.get(table, {}).items():
            kind = sa.DateTime(timezone=to_new)
            changes.append((column, kind, f"{column} AT TIME ZONE 'UTC'", nullable))
        for column, kind, using, nullable in changes:
            op.alter_column(
                table, column, type_=kind, existing_nullable=nullable, postgresql_using=using
            )


def _alter_sqlite(*, to_new: bool) -> None:
    """Each changed column is rebuilt: a new column filled with the converted values takes
    its place (batch mode would ``CAST`` the text, and SQLite's CAST to a DATETIME, DATE or
    JSON column keeps only a leading number). The naive DateTime columns already hold what
    an aware one stores on SQLite (the UTC wall time): nothing to convert there."""
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    for table in _tables():
        changed: dict[str, tuple[sa.types.TypeEngine[Any], bool, str | None]] = {}
        for column, nullable in DOCUMENTS.get(table, {}).items():
            changed[column] = (sa.JSON() if to_new else sa.Text(), nullable, None)
        for column, (spec, nullable) in TIMESTAMPS.get(table, {}).items():
            stamp = sa.DateTime(timezone=True) if to_new else sa.String(40)
            changed[column] = (stamp, nullable, spec)
        for column, nullable in DATES.get(table, {}).items():
            changed[column] = (sa.Date() if to_new else _TEXT[(table, column)], nullable, None)
        if not changed:
            continue
        indexes = [i for i in inspector.get_indexes(table) if set(i["column_names"]) & set(changed)]
        for index in indexes:
            op.drop_index(str(index["name"]), table_name=table)
        for column, (new_type, _, precision) in changed.items():
            op.add_column(table, sa.Column(f"{column}__new", new_type, nullable=True))
            rows = bind.execute(sa.text(f'SELECT rowid, "{column}" FROM "{table}"')).all()
            update = sa.text(f'UPDATE "{table}" SET "{column}__new" = :value WHERE rowid = :rowid')
            values = [
                {"rowid": rowid, "value": _convert(value, precision, to_new=to_new)}
                for rowid, value in rows
                if value is not None
            ]
            if values:
                bind.execute(update, values)
        unique = _UNIQUE.get(table)
        with op.batch_alter_table(table) as batch:
            if unique is not None:
                batch.drop_constraint(unique[0], type_="unique")
            for column, (new_type, nullable, _) in changed.items():
                batch.drop_column(column)
                batch.alter_column(
                    f"{column}__new", new_column_name=column, existing_type=new_type,
                    nullable=nullable,
                )  # fmt: skip
        if unique is not None:
            with op.batch_alter_table(table) as batch:
                batch.create_unique_constraint(unique[0], unique[1])
        for index in indexes:
            columns = [str(c) for c in index["column_names"]]
            op.create_index(str(index["name"]), table, columns, unique=bool(index["unique"]))


def _convert(value: Any, timespec: str | None, *, to_new: bool) -> Any:
    if timespec is None:  # a JSON document or a date: SQLite keeps the same text
        return value
    if to_new:
        moment = datetime.fromisoformat(value)
        moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
        return moment.replace(tzinfo=None).strftime(_SQLITE_FORMAT)
    moment = datetime.strptime(value, _SQLITE_FORMAT).replace(tzinfo=UTC)
    return moment.isoformat(timespec=timespec)
