"""The API's own tables in the store: accounts and background jobs (light: SQLAlchemy only)."""

from sqlalchemy import BigInteger, Column, MetaData, String, Table, Text

from socle.store import Json, Timestamp

TABLES = MetaData()  # the API's tables; socle.node composes the store

api_user = Table(
    "api_user",
    TABLES,
    Column("id", String(40), primary_key=True),
    Column("username", String(200), nullable=False, unique=True),
    Column("password_hash", String(200), nullable=False),
    Column("roles", Json, nullable=False),
    Column("person_id", BigInteger),
    Column("care_contexts", Json, nullable=False),
    Column("created_at", Timestamp("seconds"), nullable=False),
)

api_job = Table(
    "api_job",
    TABLES,
    Column("id", String(40), primary_key=True),
    Column("kind", String(60), nullable=False),
    Column("owner", String(200), nullable=False),
    Column("state", String(20), nullable=False),
    Column("created_at", Timestamp("milliseconds"), nullable=False),
    Column("finished_at", Timestamp("milliseconds")),
    Column("result", Json),
    Column("error", Text),
)
