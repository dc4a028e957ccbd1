"""The release context's tables in the governance store (only this package queries them)."""

from __future__ import annotations

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text

from socle.store import Json, Timestamp

TABLES = MetaData()  # this context's tables; socle.node composes the store

output_request = Table(
    "output_request",
    TABLES,
    Column("id", String(40), primary_key=True),
    Column("grant_id", String(40), nullable=False, index=True),
    Column("project", String(40), nullable=False, index=True),  # the access request's id
    Column("requester", String(200), nullable=False),
    Column("description", Text, nullable=False),
    Column("state", String(30), nullable=False),
    Column("created_at", Timestamp(), nullable=False),
    Column("decided_at", Timestamp()),
)

output_item = Table(
    "output_item",
    TABLES,
    Column("request_id", String(40), primary_key=True),
    Column("name", String(120), primary_key=True),
    Column("kind", String(40), nullable=False),
    Column("status", String(10), nullable=False),  # pass, review, fail (automatic checks)
    Column("checks", Json, nullable=False),  # list of Check.as_dict()
    Column("columns", Json, nullable=False),
    Column("rows", Json, nullable=False),  # the checked, suppressed content that may leave
    Column("exception", Text),  # the researcher's justification for an exception
    Column("population", Text, nullable=False),
    Column("population_key", String(16), nullable=False),
    Column("persons", Integer, nullable=False),
    Column("provenance", Json, nullable=False),
    Column("ledger", Json),  # the table's cells (true and released values), if a table
    Column("sha256", String(64)),  # hash of the released file, set at release
)

output_review = Table(
    "output_review",
    TABLES,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("request_id", String(40), nullable=False, index=True),
    Column("checker", String(200), nullable=False),
    Column("decision", String(30), nullable=False),  # approved, rejected, changes_requested
    Column("reasons", Text, nullable=False),
    Column("at", Timestamp(), nullable=False),
)

output_checker = Table(
    "output_checker",
    TABLES,
    Column("name", String(200), primary_key=True),
    Column("appointed_by", String(200), nullable=False),
    Column("appointed_at", Timestamp(), nullable=False),
)

ledger_cell = Table(
    "ledger_cell",
    TABLES,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("release_id", String(200), nullable=False, index=True),  # request id / output name
    Column("project", String(40), nullable=False, index=True),
    Column("population_key", String(16), nullable=False, index=True),
    Column("population", Text, nullable=False),
    Column("persons", Integer, nullable=False),
    Column("dims", Json, nullable=False),
    Column("measure", String(120), nullable=False),
    Column("labels", Json, nullable=False),
    Column("true_value", Float, nullable=False),  # never leaves the desk
    Column("released_value", Float),  # None: suppressed
    Column("recorded_at", Timestamp(), nullable=False),
)

dp_spend = Table(
    "dp_spend",
    TABLES,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("grant_id", String(40), nullable=False, index=True),
    Column("request_id", String(40), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("epsilon", Float, nullable=False),
    Column("delta", Float, nullable=False),
    Column("at", Timestamp(), nullable=False),
)
