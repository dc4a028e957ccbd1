"""The audit log service over the governance store."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Column, Connection, Engine, Integer, String, Table, Text, select

from socle.audit.chain import GENESIS, event_hash
from socle.errors import SocleError
from socle.store import metadata

audit_event = Table(
    "audit_event",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("at", String(40), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("role", String(60), nullable=False),
    Column("action", String(120), nullable=False),
    Column("object", String(300), nullable=False),
    Column("purpose", String(80), nullable=False),
    Column("outcome", String(40), nullable=False),
    Column("details", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)


class AuditError(SocleError):
    """Base of audit errors."""


class TamperedLogError(AuditError):
    """The chain does not verify; the message names the first bad event."""

    exit_code = 3


@dataclass(frozen=True)
class AuditEvent:
    """One line of the log. ``details`` holds counts and pseudonyms, never identities."""

    seq: int
    at: str
    actor: str
    role: str
    action: str
    object: str
    purpose: str
    outcome: str
    details: dict[str, Any]
    prev_hash: str
    hash: str

    def fields(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Verification:
    """Result of a full verification."""

    events: int
    head_hash: str


class AuditLog:
    """Append and verify the chain. Appends join the caller's transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def append(
        self,
        conn: Connection,
        *,
        actor: str,
        role: str,
        action: str,
        object: str,
        purpose: str = "",
        outcome: str = "ok",
        details: dict[str, Any] | None = None,
        at: datetime | None = None,
    ) -> AuditEvent:
        """Append one event inside ``conn``'s transaction, so it commits with the change."""
        last = conn.execute(
            select(audit_event.c.seq, audit_event.c.hash)
            .order_by(audit_event.c.seq.desc())
            .limit(1)
        ).first()
        seq, prev = (last.seq + 1, last.hash) if last else (1, GENESIS)
        fields: dict[str, Any] = {
            "seq": seq,
            "at": (at or datetime.now(UTC)).isoformat(timespec="microseconds"),
            "actor": actor,
            "role": role,
            "action": action,
            "object": object,
            "purpose": purpose,
            "outcome": outcome,
            "details": details or {},
            "prev_hash": prev,
        }
        fields["hash"] = event_hash(fields)
        row = dict(fields, details=orjson.dumps(fields["details"]).decode())
        conn.execute(audit_event.insert().values(**row))
        return AuditEvent(**fields)

    def record(self, **kwargs: Any) -> AuditEvent:
        """Append one event in a transaction of its own."""
        with self.engine.begin() as conn:
            return self.append(conn, **kwargs)

    def events(self, action: str | None = None) -> Iterator[AuditEvent]:
        query = select(audit_event).order_by(audit_event.c.seq)
        if action:
            query = query.where(audit_event.c.action == action)
        with self.engine.connect() as conn:
            for row in conn.execute(query):
                yield _to_event(row._mapping)

    def head(self) -> tuple[int, str]:
        """Sequence number and hash of the last event: anchor it elsewhere to detect truncation."""
        with self.engine.connect() as conn:
            last = conn.execute(
                select(audit_event.c.seq, audit_event.c.hash)
                .order_by(audit_event.c.seq.desc())
                .limit(1)
            ).first()
        return (last.seq, last.hash) if last else (0, GENESIS)

    def verify(self, expected_head: str | None = None) -> Verification:
        """Check the chain end to end; raise :class:`TamperedLogError` at the first bad event."""
        prev, expected_seq, count = GENESIS, 1, 0
        for event in self._raw_events():
            where = f"event #{event.seq} ({event.action} on {event.object} at {event.at})"
            if event.seq != expected_seq:
                raise TamperedLogError(
                    f"audit log broken at {where}: expected event #{expected_seq} "
                    "(an event was deleted, inserted or reordered)"
                )
            if event.prev_hash != prev:
                raise TamperedLogError(
                    f"audit log broken at {where}: its previous-hash does not match event "
                    f"#{expected_seq - 1} (an event before it was changed, removed or reordered)"
                )
            if event_hash(event.fields()) != event.hash:
                raise TamperedLogError(
                    f"audit log broken at {where}: its content does not match its hash "
                    "(the event was altered)"
                )
            prev, expected_seq, count = event.hash, expected_seq + 1, count + 1
        if expected_head is not None and expected_head != prev:
            raise TamperedLogError(
                f"audit log head {prev[:16]}… after {count} events does not match the anchored "
                f"head {expected_head[:16]}… (the log was truncated or rewritten)"
            )
        return Verification(events=count, head_hash=prev)

    def export_jsonl(self, path: Path) -> int:
        """Write every event as one JSON line for an outside auditor; return the count."""
        n = 0
        with path.open("wb") as out:
            for event in self._raw_events():
                out.write(orjson.dumps(event.fields(), option=orjson.OPT_SORT_KEYS) + b"\n")
                n += 1
        return n

    def _raw_events(self) -> Iterator[AuditEvent]:
        with self.engine.connect() as conn:
            for row in conn.execute(select(audit_event).order_by(audit_event.c.seq)):
                yield _to_event(row._mapping)


def _to_event(row: Any) -> AuditEvent:
    values = dict(row)
    try:
        values["details"] = orjson.loads(values["details"])
    except orjson.JSONDecodeError:
        values["details"] = {"unreadable": values["details"]}
    return AuditEvent(**values)
