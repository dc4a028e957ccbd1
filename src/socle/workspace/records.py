"""The workspace's own tables in the governance store: named results, jobs and their outputs.

Rows and files stay on the node; these records carry what the permit chain
needs (who, under which grant, the hashes of code, extract and outputs).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Boolean, Column, Integer, MetaData, String, Table, Text

from socle.store import Json, Timestamp

TABLES = MetaData()  # this context's tables; socle.node composes the store

workspace_result = Table(
    "workspace_result",
    TABLES,
    Column("id", String(40), primary_key=True),
    Column("grant_id", String(40), nullable=False, index=True),
    Column("name", String(80), nullable=False),
    Column("kind", String(20), nullable=False),  # sql | cohort
    Column("sql", Text, nullable=False),
    Column("sql_sha256", String(64), nullable=False),
    Column("path", String(500), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("rows", Integer, nullable=False),
    Column("columns", Json, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("role", String(60), nullable=False),
    Column("created_at", Timestamp(), nullable=False),
)

workspace_job = Table(
    "workspace_job",
    TABLES,
    Column("id", String(40), primary_key=True),
    Column("grant_id", String(40), nullable=False, index=True),
    Column("output_type", String(40), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("role", String(60), nullable=False),
    Column("state", String(20), nullable=False),  # running | succeeded | failed | stopped
    Column("reason", Text, nullable=False, default=""),
    Column("script", String(200), nullable=False),
    Column("code_sha256", String(64), nullable=False),
    Column("extract_sha256", String(64), nullable=False),
    Column("params", Json, nullable=False),
    Column("results", Json, nullable=False),
    Column("limits", Json, nullable=False),
    Column("folder", String(500), nullable=False),
    Column("created_at", Timestamp(), nullable=False),
    Column("ended_at", Timestamp()),
    Column("exit_code", Integer),
    Column("cancel_requested", Boolean, nullable=False, default=False),
)

workspace_output = Table(
    "workspace_output",
    TABLES,
    Column("job_id", String(40), primary_key=True),
    Column("name", String(300), primary_key=True),
    Column("kind", String(10), nullable=False),  # file | log
    Column("sha256", String(64), nullable=False),
    Column("bytes", Integer, nullable=False),
)


@dataclass(frozen=True)
class OutputFile:
    """A file a job wrote (or its log): what an output request names and the release desk checks."""

    job_id: str
    name: str
    kind: str
    sha256: str
    bytes: int
    path: Path


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256_tree(files: dict[str, Path]) -> str:
    """One hash for a set of named files: SHA-256 over ``name:sha256`` lines, sorted by name."""
    lines = "".join(f"{name}:{sha256_file(path)}\n" for name, path in sorted(files.items()))
    return hashlib.sha256(lines.encode()).hexdigest()
