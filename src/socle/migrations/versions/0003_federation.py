"""The federation's tables: studies at the hub, acceptances at sites, federated models.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

NAMES = ("federation_acceptance", "federation_model", "federation_study")


def upgrade() -> None:
    present = set(sa.inspect(op.get_bind()).get_table_names())
    if "federation_acceptance" not in present:
        op.create_table(
            "federation_acceptance",
            sa.Column("study_id", sa.String(), nullable=False),
            sa.Column("grant_id", sa.String(), nullable=True),
            sa.Column("state", sa.String(), nullable=False),
            sa.Column("reason", sa.Text(), nullable=False),
            sa.Column("updated_at", sa.DateTime(), nullable=False),
            sa.PrimaryKeyConstraint("study_id"),
        )
    if "federation_model" not in present:
        op.create_table(
            "federation_model",
            sa.Column("id", sa.String(), nullable=False),
            sa.Column("study_id", sa.String(), nullable=False),
            sa.Column("lineage", sa.Text(), nullable=False),
            sa.Column("weights", sa.Text(), nullable=False),
            sa.Column("created_at", sa.DateTime(), nullable=False),
            sa.PrimaryKeyConstraint("id"),
        )
    if "federation_study" not in present:
        op.create_table(
            "federation_study",
            sa.Column("id", sa.String(), nullable=False),
            sa.Column("grant_id", sa.String(), nullable=False),
            sa.Column("title", sa.Text(), nullable=False),
            sa.Column("quorum", sa.Integer(), nullable=False),
            sa.Column("created_at", sa.DateTime(), nullable=False),
            sa.PrimaryKeyConstraint("id"),
        )


def downgrade() -> None:
    for name in NAMES:
        op.drop_table(name)
