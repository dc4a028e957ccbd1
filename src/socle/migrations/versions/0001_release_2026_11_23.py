"""The schema of release 2026-11-23, the last one without migrations (main at b6b4966).

Generated with Alembic's autogenerate from that release's table declarations,
one function per table. A table already there is kept as it is, so a store of
that release (or of an older one, missing later tables) comes forward from here
the way ``metadata.create_all`` used to bring it.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    present = set(sa.inspect(op.get_bind()).get_table_names())
    for name, create in TABLES:
        if name not in present:
            create()


def downgrade() -> None:
    raise RuntimeError(
        "revision 0001 is the schema of release 2026-11-23, the first this store's history "
        "knows: there is nothing older to go back to (restore a backup instead)"
    )


def _access_grant() -> None:
    op.create_table(
        "access_grant",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("request_id", sa.String(length=40), nullable=False),
        sa.Column("purpose", sa.String(length=60), nullable=False),
        sa.Column("columns", sa.Text(), nullable=False),
        sa.Column("output_types", sa.Text(), nullable=False),
        sa.Column("starts", sa.Date(), nullable=False),
        sa.Column("expires", sa.Date(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=True),
        sa.Column("period_end", sa.Date(), nullable=True),
        sa.Column("population", sa.Text(), nullable=True),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.Column("dp_epsilon", sa.Float(), nullable=False),
        sa.Column("dp_delta", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def _access_request() -> None:
    op.create_table(
        "access_request",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("state", sa.String(length=30), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("checks", sa.Text(), nullable=False),
        sa.Column("created_at", sa.String(length=40), nullable=False),
        sa.Column("submitted_at", sa.String(length=40), nullable=True),
        sa.Column("decided_at", sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )


def _ai_model() -> None:
    op.create_table(
        "ai_model",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("grant_id", sa.String(length=40), nullable=False),
        sa.Column("purpose", sa.String(length=60), nullable=False),
        sa.Column("created_at", sa.String(length=40), nullable=False),
        sa.Column("metrics", sa.Text(), nullable=False),
        sa.Column("artifact", sa.String(length=500), nullable=False),
        sa.Column("notice", sa.String(length=500), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def _api_job() -> None:
    op.create_table(
        "api_job",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=60), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.String(length=40), nullable=False),
        sa.Column("finished_at", sa.String(length=40), nullable=True),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )


def _api_user() -> None:
    op.create_table(
        "api_user",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("username", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("roles", sa.Text(), nullable=False),
        sa.Column("person_id", sa.BigInteger(), nullable=True),
        sa.Column("care_contexts", sa.Text(), nullable=False),
        sa.Column("created_at", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("username"),
    )


def _audit_event() -> None:
    op.create_table(
        "audit_event",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("at", sa.String(length=40), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=60), nullable=False),
        sa.Column("action", sa.String(length=120), nullable=False),
        sa.Column("object", sa.String(length=300), nullable=False),
        sa.Column("purpose", sa.String(length=80), nullable=False),
        sa.Column("outcome", sa.String(length=40), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
    )


def _audit_seal() -> None:
    op.create_table(
        "audit_seal",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("mac", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
    )


def _catalog_dataset() -> None:
    op.create_table(
        "catalog_dataset",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("publisher", sa.String(length=200), nullable=False),
        sa.Column("population", sa.Integer(), nullable=False),
        sa.Column("coverage_start", sa.Date(), nullable=True),
        sa.Column("coverage_end", sa.Date(), nullable=True),
        sa.Column("registered_at", sa.String(length=40), nullable=False),
        sa.Column("contact", sa.String(length=200), nullable=False),
        sa.Column("themes", sa.Text(), nullable=False),
        sa.Column("keywords", sa.Text(), nullable=False),
        sa.Column("legal_basis", sa.Text(), nullable=False),
        sa.Column("access_rights", sa.String(length=20), nullable=False),
        sa.Column("update_frequency", sa.String(length=20), nullable=False),
        sa.Column("population_coverage", sa.Text(), nullable=False),
        sa.Column("quality", sa.Text(), nullable=True),
        sa.Column("quality_at", sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )


def _catalog_variable() -> None:
    op.create_table(
        "catalog_variable",
        sa.Column("dataset_id", sa.String(length=40), nullable=False),
        sa.Column("table_name", sa.String(length=80), nullable=False),
        sa.Column("column_name", sa.String(length=80), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("completeness", sa.Float(), nullable=False),
        sa.Column("distinct_values", sa.Integer(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("dataset_id", "table_name", "column_name"),
    )


def _committee_decision() -> None:
    op.create_table(
        "committee_decision",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("request_id", sa.String(length=40), nullable=False),
        sa.Column("outcome", sa.String(length=30), nullable=False),
        sa.Column("conditions", sa.Text(), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("reviewers", sa.Text(), nullable=False),
        sa.Column("decided_at", sa.String(length=40), nullable=False),
        sa.Column("recommendation", sa.String(length=30), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_committee_decision_request_id"), "committee_decision", ["request_id"], unique=False
    )


def _committee_member() -> None:
    op.create_table(
        "committee_member",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("expertise", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )


def _committee_review() -> None:
    op.create_table(
        "committee_review",
        sa.Column("request_id", sa.String(length=40), nullable=False),
        sa.Column("member_id", sa.String(length=40), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("scores", sa.Text(), nullable=False),
        sa.Column("comments", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("submitted_at", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("request_id", "member_id", "round"),
    )


def _conflict_of_interest() -> None:
    op.create_table(
        "conflict_of_interest",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("member_id", sa.String(length=40), nullable=False),
        sa.Column("request_id", sa.String(length=40), nullable=True),
        sa.Column("sponsor", sa.String(length=300), nullable=True),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("declared_at", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_conflict_of_interest_member_id"),
        "conflict_of_interest",
        ["member_id"],
        unique=False,
    )


def _consent_event() -> None:
    op.create_table(
        "consent_event",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("person_id", sa.BigInteger(), nullable=False),
        sa.Column("purpose", sa.String(length=60), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("effective", sa.Date(), nullable=False),
        sa.Column("recorded_at", sa.String(length=40), nullable=False),
        sa.Column("channel", sa.String(length=30), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_consent_event_person_id"), "consent_event", ["person_id"], unique=False
    )
    op.create_index(
        "ix_consent_event_purpose_person",
        "consent_event",
        ["purpose", "person_id", "effective", "id"],
        unique=False,
    )


def _dp_spend() -> None:
    op.create_table(
        "dp_spend",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("grant_id", sa.String(length=40), nullable=False),
        sa.Column("request_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("epsilon", sa.Float(), nullable=False),
        sa.Column("delta", sa.Float(), nullable=False),
        sa.Column("at", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_dp_spend_grant_id"), "dp_spend", ["grant_id"], unique=False)


def _ledger_cell() -> None:
    op.create_table(
        "ledger_cell",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("release_id", sa.String(length=60), nullable=False),
        sa.Column("project", sa.String(length=40), nullable=False),
        sa.Column("population_key", sa.String(length=16), nullable=False),
        sa.Column("population", sa.Text(), nullable=False),
        sa.Column("persons", sa.Integer(), nullable=False),
        sa.Column("dims", sa.Text(), nullable=False),
        sa.Column("measure", sa.String(length=120), nullable=False),
        sa.Column("labels", sa.Text(), nullable=False),
        sa.Column("true_value", sa.Float(), nullable=False),
        sa.Column("released_value", sa.Float(), nullable=True),
        sa.Column("recorded_at", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_ledger_cell_population_key"), "ledger_cell", ["population_key"], unique=False
    )
    op.create_index(op.f("ix_ledger_cell_project"), "ledger_cell", ["project"], unique=False)
    op.create_index(op.f("ix_ledger_cell_release_id"), "ledger_cell", ["release_id"], unique=False)


def _obs_declaration() -> None:
    op.create_table(
        "obs_declaration",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("reviewer", sa.String(length=200), nullable=False),
        sa.Column("declared_at", sa.String(length=40), nullable=False),
        sa.Column("makers", sa.Text(), nullable=False),
        sa.Column("entries", sa.Text(), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_obs_declaration_reviewer"), "obs_declaration", ["reviewer"], unique=False
    )


def _obs_entry() -> None:
    op.create_table(
        "obs_entry",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("external_ref", sa.String(length=120), nullable=True),
        sa.Column("batch", sa.String(length=40), nullable=True),
        sa.Column("state", sa.String(length=30), nullable=False),
        sa.Column("current_version", sa.Integer(), nullable=False),
        sa.Column("published_version", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.String(length=40), nullable=False),
        sa.Column("updated_at", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("external_ref"),
    )
    op.create_index(op.f("ix_obs_entry_batch"), "obs_entry", ["batch"], unique=False)
    op.create_index(op.f("ix_obs_entry_state"), "obs_entry", ["state"], unique=False)


def _obs_method() -> None:
    op.create_table(
        "obs_method",
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("adopted_by", sa.String(length=200), nullable=False),
        sa.Column("adopted_role", sa.String(length=60), nullable=False),
        sa.Column("adopted_at", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("version"),
    )


def _obs_ranking() -> None:
    op.create_table(
        "obs_ranking",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("method_version", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.String(length=40), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("category", "method_version", "as_of", name="uq_obs_ranking"),
    )


def _output_checker() -> None:
    op.create_table(
        "output_checker",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("appointed_by", sa.String(length=200), nullable=False),
        sa.Column("appointed_at", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def _output_item() -> None:
    op.create_table(
        "output_item",
        sa.Column("request_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("checks", sa.Text(), nullable=False),
        sa.Column("columns", sa.Text(), nullable=False),
        sa.Column("rows", sa.Text(), nullable=False),
        sa.Column("exception", sa.Text(), nullable=True),
        sa.Column("population", sa.Text(), nullable=False),
        sa.Column("population_key", sa.String(length=16), nullable=False),
        sa.Column("persons", sa.Integer(), nullable=False),
        sa.Column("provenance", sa.Text(), nullable=False),
        sa.Column("ledger", sa.Text(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("request_id", "name"),
    )


def _output_request() -> None:
    op.create_table(
        "output_request",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("grant_id", sa.String(length=40), nullable=False),
        sa.Column("project", sa.String(length=40), nullable=False),
        sa.Column("requester", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=30), nullable=False),
        sa.Column("created_at", sa.String(length=40), nullable=False),
        sa.Column("decided_at", sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_output_request_grant_id"), "output_request", ["grant_id"], unique=False
    )
    op.create_index(op.f("ix_output_request_project"), "output_request", ["project"], unique=False)


def _output_review() -> None:
    op.create_table(
        "output_review",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("request_id", sa.String(length=40), nullable=False),
        sa.Column("checker", sa.String(length=200), nullable=False),
        sa.Column("decision", sa.String(length=30), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("at", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_output_review_request_id"), "output_review", ["request_id"], unique=False
    )


def _prediction() -> None:
    op.create_table(
        "prediction",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("model_id", sa.String(length=40), nullable=False),
        sa.Column("patient", sa.String(length=64), nullable=False),
        sa.Column("care_context", sa.String(length=120), nullable=False),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column("inputs", sa.Text(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("amended_score", sa.Float(), nullable=True),
        sa.Column("created_at", sa.String(length=40), nullable=False),
        sa.Column("decided_at", sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_prediction_status"), "prediction", ["status"], unique=False)


def _workspace_job() -> None:
    op.create_table(
        "workspace_job",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("grant_id", sa.String(length=40), nullable=False),
        sa.Column("output_type", sa.String(length=40), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=60), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("script", sa.String(length=200), nullable=False),
        sa.Column("code_sha256", sa.String(length=64), nullable=False),
        sa.Column("extract_sha256", sa.String(length=64), nullable=False),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("results", sa.Text(), nullable=False),
        sa.Column("limits", sa.Text(), nullable=False),
        sa.Column("folder", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.String(length=40), nullable=False),
        sa.Column("ended_at", sa.String(length=40), nullable=True),
        sa.Column("exit_code", sa.Integer(), nullable=True),
        sa.Column("cancel_requested", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_workspace_job_grant_id"), "workspace_job", ["grant_id"], unique=False)


def _workspace_output() -> None:
    op.create_table(
        "workspace_output",
        sa.Column("job_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("bytes", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("job_id", "name"),
    )


def _workspace_result() -> None:
    op.create_table(
        "workspace_result",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("grant_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("sql", sa.Text(), nullable=False),
        sa.Column("sql_sha256", sa.String(length=64), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("columns", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=60), nullable=False),
        sa.Column("created_at", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_workspace_result_grant_id"), "workspace_result", ["grant_id"], unique=False
    )


def _obs_entry_version() -> None:
    op.create_table(
        "obs_entry_version",
        sa.Column("entry_id", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("submitted_by", sa.String(length=200), nullable=False),
        sa.Column("submitted_role", sa.String(length=60), nullable=False),
        sa.Column("submitted_at", sa.String(length=40), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("review_outcome", sa.String(length=30), nullable=True),
        sa.Column("reviewed_by", sa.String(length=200), nullable=True),
        sa.Column("reviewed_at", sa.String(length=40), nullable=True),
        sa.Column("review_note", sa.Text(), nullable=True),
        sa.Column("published_by", sa.String(length=200), nullable=True),
        sa.Column("published_at", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["obs_entry.id"],
        ),
        sa.PrimaryKeyConstraint("entry_id", "version"),
    )
    op.create_index(
        op.f("ix_obs_entry_version_category"), "obs_entry_version", ["category"], unique=False
    )
    op.create_index(
        op.f("ix_obs_entry_version_published_at"),
        "obs_entry_version",
        ["published_at"],
        unique=False,
    )


def _obs_live_snapshot() -> None:
    op.create_table(
        "obs_live_snapshot",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("entry_id", sa.String(length=40), nullable=False),
        sa.Column("taken_at", sa.String(length=40), nullable=False),
        sa.Column("figures", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["obs_entry.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_obs_live_snapshot_entry_id"), "obs_live_snapshot", ["entry_id"], unique=False
    )


TABLES: list[tuple[str, Callable[[], None]]] = [
    ("access_grant", _access_grant),
    ("access_request", _access_request),
    ("ai_model", _ai_model),
    ("api_job", _api_job),
    ("api_user", _api_user),
    ("audit_event", _audit_event),
    ("audit_seal", _audit_seal),
    ("catalog_dataset", _catalog_dataset),
    ("catalog_variable", _catalog_variable),
    ("committee_decision", _committee_decision),
    ("committee_member", _committee_member),
    ("committee_review", _committee_review),
    ("conflict_of_interest", _conflict_of_interest),
    ("consent_event", _consent_event),
    ("dp_spend", _dp_spend),
    ("ledger_cell", _ledger_cell),
    ("obs_declaration", _obs_declaration),
    ("obs_entry", _obs_entry),
    ("obs_method", _obs_method),
    ("obs_ranking", _obs_ranking),
    ("output_checker", _output_checker),
    ("output_item", _output_item),
    ("output_request", _output_request),
    ("output_review", _output_review),
    ("prediction", _prediction),
    ("workspace_job", _workspace_job),
    ("workspace_output", _workspace_output),
    ("workspace_result", _workspace_result),
    ("obs_entry_version", _obs_entry_version),
    ("obs_live_snapshot", _obs_live_snapshot),
]
