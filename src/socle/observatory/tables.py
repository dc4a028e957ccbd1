"""The observatory's tables in the governance store (only this package queries them)."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Integer, MetaData, String, Table, Text, UniqueConstraint

from socle.store import Json, Timestamp

TABLES = MetaData()  # this context's tables; socle.node composes the store

entry = Table(
    "obs_entry",
    TABLES,
    Column("id", String(40), primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("source", String(40), nullable=False),  # submission, fda, socle_model, catalogue, import
    Column("external_ref", String(120), unique=True),  # e.g. fda:K254207, socle:model-ab12
    Column("batch", String(40), index=True),  # the import batch that created it, if any
    Column("state", String(30), nullable=False, index=True),
    Column("current_version", Integer, nullable=False),
    Column("published_version", Integer),  # what the public sees; None = never published
    Column("created_at", Timestamp("seconds"), nullable=False),
    Column("updated_at", Timestamp("seconds"), nullable=False),
)

entry_version = Table(
    "obs_entry_version",
    TABLES,
    Column("entry_id", String(40), ForeignKey("obs_entry.id"), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("data", Json, nullable=False),
    Column("digest", String(64), nullable=False),
    Column("category", String(40), nullable=False, index=True),
    Column("submitted_by", String(200), nullable=False),
    Column("submitted_role", String(60), nullable=False),
    Column("submitted_at", Timestamp("seconds"), nullable=False),
    Column("note", Text, nullable=False, default=""),
    Column("review_outcome", String(30)),  # reviewed | changes_requested
    Column("reviewed_by", String(200)),
    Column("reviewed_at", Timestamp("seconds")),
    Column("review_note", Text),
    Column("published_by", String(200)),
    Column("published_at", Timestamp("seconds"), index=True),
)

declaration = Table(
    "obs_declaration",
    TABLES,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("reviewer", String(200), nullable=False, index=True),
    Column("declared_at", Timestamp("seconds"), nullable=False),
    Column("makers", Json, nullable=False),  # makers the reviewer is conflicted with
    Column("entries", Json, nullable=False),  # entry ids
    Column("statement", Text, nullable=False),
)

method = Table(
    "obs_method",
    TABLES,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("text", Text, nullable=False),
    Column("digest", String(64), nullable=False),
    Column("adopted_by", String(200), nullable=False),
    Column("adopted_role", String(60), nullable=False),
    Column("adopted_at", Timestamp("seconds"), nullable=False),
    Column("reason", Text, nullable=False),
)

live_snapshot = Table(
    "obs_live_snapshot",
    TABLES,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("entry_id", String(40), ForeignKey("obs_entry.id"), nullable=False, index=True),
    Column("taken_at", Timestamp("seconds"), nullable=False),
    Column("figures", Json, nullable=False),
)

ranking_record = Table(
    "obs_ranking",
    TABLES,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("category", String(40), nullable=False),
    Column("method_version", Integer, nullable=False),
    Column("as_of", Timestamp("seconds"), nullable=False),
    Column("digest", String(64), nullable=False),
    Column("recorded_by", String(200), nullable=False),
    Column("recorded_at", Timestamp("seconds"), nullable=False),
    UniqueConstraint("category", "method_version", "as_of", name="uq_obs_ranking"),
)
