"""Output requests as stored: their rows, their items and reviews, and the release write.

Module functions over a caller's connection, so each joins the desk's
transaction (a request and its audit event commit together).
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, select

from socle.audit import AuditLog
from socle.release import ledger
from socle.release.checks import CheckReport
from socle.release.errors import NotFoundError
from socle.release.outputs import Population
from socle.release.tables import output_item, output_request, output_review
from socle.roles import Role


@dataclass(frozen=True)
class Item:
    name: str
    kind: str
    status: str
    checks: tuple[dict[str, Any], ...]
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    exception: str | None
    population: str
    sha256: str | None


@dataclass(frozen=True)
class ReviewRecord:
    checker: str
    decision: str
    reasons: str
    at: str


@dataclass(frozen=True)
class OutputRequest:
    id: str
    grant_id: str
    project: str
    requester: str
    description: str
    state: str
    items: tuple[Item, ...]
    reviews: tuple[ReviewRecord, ...]
    created_at: str
    folder: Path | None = None  # where the released files are, once released


def now() -> datetime:
    return datetime.now(UTC)


def _csv(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(["suppressed" if v is None else v for v in row] for row in rows)
    return buffer.getvalue().encode()


def insert_request(
    conn: Connection, request_id: str, grant_id: str, project: str, actor: str, description: str
) -> None:
    conn.execute(
        output_request.insert().values(
            id=request_id, grant_id=grant_id, project=project, requester=actor,
            description=description, state="submitted", created_at=now(),
        )
    )  # fmt: skip


def insert_item(
    conn: Connection,
    request_id: str,
    name: str,
    population: Population,
    provenance: Mapping[str, str],
    report: CheckReport,
    exception: str | None,
) -> None:
    cells = None
    if report.table is not None:
        cells = ledger.table_cells(report.table, report.columns[-1])
    conn.execute(
        output_item.insert().values(
            request_id=request_id, name=name, kind=report.kind, status=report.status,
            checks=[c.as_dict() for c in report.checks], columns=list(report.columns),
            rows=report.rows,
            exception=exception, population=population.definition,
            population_key=population.key, persons=population.persons,
            provenance=dict(provenance), ledger=cells,
        )
    )  # fmt: skip


def load_request(conn: Connection, request_id: str, releases_dir: Path) -> OutputRequest:
    row = conn.execute(select(output_request).where(output_request.c.id == request_id)).first()
    if row is None:
        raise NotFoundError(f"no output request '{request_id}'")
    items = conn.execute(
        select(output_item)
        .where(output_item.c.request_id == request_id)
        .order_by(output_item.c.name)
    ).all()
    reviews = conn.execute(
        select(output_review)
        .where(output_review.c.request_id == request_id)
        .order_by(output_review.c.id)
    ).all()
    folder = releases_dir / request_id
    return OutputRequest(
        row.id, row.grant_id, row.project, row.requester, row.description, row.state,
        tuple(
            Item(i.name, i.kind, i.status, tuple(i.checks),
                 tuple(i.columns), tuple(tuple(r) for r in i.rows),
                 i.exception, i.population, i.sha256)
            for i in items
        ),
        tuple(ReviewRecord(r.checker, r.decision, r.reasons, r.at) for r in reviews),
        row.created_at, folder if row.state == "released" else None,
    )  # fmt: skip


def write_release(
    conn: Connection,
    audit: AuditLog,
    req: OutputRequest,
    purpose: str,
    checkers: list[str],
    releases_dir: Path,
    audit_head: dict[str, Any],
) -> None:
    """Write each output, hash it, record its cells; all in the approving transaction.

    ``release.json`` beside the files names the request, its files' hashes and the
    signed audit head (``AuditLog.signed_head``) when the release was approved.
    """
    folder = releases_dir / req.id
    folder.mkdir(parents=True, exist_ok=True)
    hashes: dict[str, str] = {}
    items = conn.execute(select(output_item).where(output_item.c.request_id == req.id)).all()
    for item in items:
        data = _csv(item.columns, item.rows)
        digest = hashlib.sha256(data).hexdigest()
        (folder / f"{item.name}.csv").write_bytes(data)
        hashes[item.name] = digest
        conn.execute(
            output_item.update()
            .where(output_item.c.request_id == req.id, output_item.c.name == item.name)
            .values(sha256=digest)
        )
        if item.ledger:
            population = Population(item.population, item.persons)
            table = ledger.as_ledger_table(f"{req.id}/{item.name}", population, item.ledger)
            ledger.record(conn, req.project, table)
    (folder / "release.json").write_bytes(
        orjson.dumps(
            {"release": req.id, "grant": req.grant_id, "files": hashes, "checkers": checkers,
             "audit_head": audit_head},
            option=orjson.OPT_INDENT_2,
        )
    )  # fmt: skip
    audit.append(
        conn, actor="socle", role=Role.SYSTEM, action="release.released", object=req.id,
        purpose=purpose,
        details={"grant": req.grant_id, "files": hashes, "requester": req.requester,
                 "checkers": checkers},
    )  # fmt: skip
