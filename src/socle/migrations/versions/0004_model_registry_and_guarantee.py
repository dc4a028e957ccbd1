"""The model registry's stages and lineage, and the human guarantee's outcomes, alerts and college.

New tables ``ai_model_record``, ``ai_model_transition``, ``prediction_outcome``,
``guarantee_alert``, ``college_member``, ``college_decision``; four nullable columns on
``prediction`` (the model and notice versions it carries, the decision's reason code and
its time). Models stored before this revision have no record: they stay readable in
``ai_model`` but cannot predict (retrain them).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

PREDICTION_COLUMNS = (
    sa.Column("model_version", sa.String(80), nullable=True),
    sa.Column("notice_version", sa.String(64), nullable=True),
    sa.Column("reason_code", sa.String(40), nullable=True),
    sa.Column("decision_seconds", sa.Float(), nullable=True),
)
NAMES = (
    "ai_model_record",
    "ai_model_transition",
    "prediction_outcome",
    "guarantee_alert",
    "college_member",
    "college_decision",
)


def upgrade() -> None:
    bind = op.get_bind()
    present = set(sa.inspect(bind).get_table_names())
    if "ai_model_record" not in present:
        op.create_table(
            "ai_model_record",
            sa.Column("model_id", sa.String(40), primary_key=True),
            sa.Column("definition_id", sa.String(60), nullable=False, index=True),
            sa.Column("version", sa.Integer(), nullable=False),
            sa.Column("stage", sa.String(20), nullable=False),
            sa.Column("stage_reason", sa.Text(), nullable=False),
            sa.Column("stage_at", sa.String(40), nullable=False),
            sa.Column("artifact_sha256", sa.String(64), nullable=False),
            sa.Column("notice_sha256", sa.String(64), nullable=False),
            sa.Column("features", sa.Text(), nullable=False),
            sa.Column("lineage", sa.Text(), nullable=False),
            sa.Column("report", sa.Text(), nullable=False),
            sa.Column("restricted_to", sa.Text(), nullable=True),
            sa.Column("reference", sa.Text(), nullable=True),
        )
    if "ai_model_transition" not in present:
        op.create_table(
            "ai_model_transition",
            sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
            sa.Column("model_id", sa.String(40), nullable=False, index=True),
            sa.Column("from_stage", sa.String(20), nullable=False),
            sa.Column("to_stage", sa.String(20), nullable=False),
            sa.Column("actor", sa.String(200), nullable=False),
            sa.Column("role", sa.String(40), nullable=False),
            sa.Column("reason", sa.Text(), nullable=False),
            sa.Column("at", sa.String(40), nullable=False),
        )
    if "prediction_outcome" not in present:
        op.create_table(
            "prediction_outcome",
            sa.Column("prediction_id", sa.String(40), primary_key=True),
            sa.Column("occurred", sa.Boolean(), nullable=False),
            sa.Column("observed_on", sa.String(10), nullable=False),
            sa.Column("source", sa.String(120), nullable=False),
            sa.Column("recorded_by", sa.String(200), nullable=False),
            sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        )
    if "guarantee_alert" not in present:
        op.create_table(
            "guarantee_alert",
            sa.Column("id", sa.String(40), primary_key=True),
            sa.Column("model_id", sa.String(40), nullable=False, index=True),
            sa.Column("kind", sa.String(40), nullable=False),
            sa.Column("subject", sa.String(200), nullable=False),
            sa.Column("value", sa.Float(), nullable=False),
            sa.Column("threshold", sa.Float(), nullable=False),
            sa.Column("message", sa.Text(), nullable=False),
            sa.Column("status", sa.String(20), nullable=False),
            sa.Column("raised_at", sa.String(40), nullable=False),
        )
    if "college_member" not in present:
        op.create_table(
            "college_member",
            sa.Column("name", sa.String(200), primary_key=True),
            sa.Column("expertise", sa.String(200), nullable=False),
            sa.Column("active", sa.Boolean(), nullable=False),
            sa.Column("appointed_at", sa.String(40), nullable=False),
        )
    if "college_decision" not in present:
        op.create_table(
            "college_decision",
            sa.Column("id", sa.String(40), primary_key=True),
            sa.Column("model_id", sa.String(40), nullable=False, index=True),
            sa.Column("decision", sa.String(20), nullable=False),
            sa.Column("reason", sa.Text(), nullable=False),
            sa.Column("care_contexts", sa.Text(), nullable=True),
            sa.Column("decided_by", sa.String(200), nullable=False),
            sa.Column("decided_at", sa.String(40), nullable=False),
        )
    have = {c["name"] for c in sa.inspect(bind).get_columns("prediction")}
    with op.batch_alter_table("prediction") as batch:
        for column in PREDICTION_COLUMNS:
            if column.name not in have:
                batch.add_column(column.copy())
    indexes = {i["name"] for i in sa.inspect(bind).get_indexes("prediction")}
    if "ix_prediction_model_id" not in indexes:
        op.create_index("ix_prediction_model_id", "prediction", ["model_id"])


def downgrade() -> None:
    op.drop_index("ix_prediction_model_id", table_name="prediction")
    with op.batch_alter_table("prediction") as batch:
        for column in PREDICTION_COLUMNS:
            batch.drop_column(column.name)
    for name in reversed(NAMES):
        op.drop_table(name)
