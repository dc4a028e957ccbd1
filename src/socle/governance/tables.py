"""The governance context's tables in the store (composed by :mod:`socle.node`)."""

from sqlalchemy import Boolean, Column, Date, Float, Integer, MetaData, String, Table, Text

from socle.store import Json, Timestamp

TABLES = MetaData()  # this context's tables; socle.node composes the store

access_request = Table(
    "access_request",
    TABLES,
    Column("id", String(40), primary_key=True),
    Column("state", String(30), nullable=False),
    Column("body", Json, nullable=False),
    Column("checks", Json, nullable=False, default=list),
    Column("created_at", Timestamp(), nullable=False),
    Column("submitted_at", Timestamp()),
    Column("decided_at", Timestamp()),
)

committee_decision = Table(
    "committee_decision",
    TABLES,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("request_id", String(40), nullable=False, index=True),
    Column("outcome", String(30), nullable=False),
    Column("conditions", Text, nullable=False),
    Column("reasons", Text, nullable=False),
    Column("reviewers", Json, nullable=False),
    Column("decided_at", Timestamp(), nullable=False),
    Column("recommendation", String(30)),
)

committee_member = Table(
    "committee_member",
    TABLES,
    Column("id", String(40), primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("expertise", String(200), nullable=False),
    Column("active", Boolean, nullable=False, default=True),
)

conflict_of_interest = Table(
    "conflict_of_interest",
    TABLES,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("member_id", String(40), nullable=False, index=True),
    Column("request_id", String(40)),
    Column("sponsor", String(300)),
    Column("statement", Text, nullable=False),
    Column("declared_at", Timestamp(), nullable=False),
)

committee_review = Table(
    "committee_review",
    TABLES,
    Column("request_id", String(40), primary_key=True),
    Column("member_id", String(40), primary_key=True),
    Column("round", Integer, primary_key=True),
    Column("scores", Json, nullable=False),
    Column("comments", Json, nullable=False),
    Column("summary", Text, nullable=False),
    Column("submitted_at", Timestamp(), nullable=False),
)

access_grant = Table(
    "access_grant",
    TABLES,
    Column("id", String(40), primary_key=True),
    Column("request_id", String(40), nullable=False),
    Column("purpose", String(60), nullable=False),
    Column("columns", Json, nullable=False),
    Column("output_types", Json, nullable=False),
    Column("starts", Date, nullable=False),
    Column("expires", Date, nullable=False),
    Column("period_start", Date),
    Column("period_end", Date),
    Column("population", Json),  # JSON of the request's Population, or NULL: everyone
    Column("revoked", Boolean, nullable=False, default=False),
    Column("dp_epsilon", Float, nullable=False, default=0.0),
    Column("dp_delta", Float, nullable=False, default=0.0),
)
