"""The audit log service over the governance store."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import (
    Column,
    Connection,
    Engine,
    Integer,
    String,
    Table,
    Text,
    false,
    select,
    text,
)

from socle.audit.chain import (
    FIELDS,
    GENESIS,
    Anchor,
    AuditError,
    TamperedLogError,
    Verification,
    event_hash,
    verify_chain,
)
from socle.store import metadata

__all__ = ["AuditError", "AuditEvent", "AuditLog", "TamperedLogError", "Verification"]

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

_REQUIRED = ("actor", "role", "action", "object")
_READ_BATCH = 20_000


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
        seq, prev = self._locked_head(conn)
        fields = _chain_fields(
            seq + 1, prev, actor=actor, role=role, action=action, object=object,
            purpose=purpose, outcome=outcome, details=details, at=at,
        )  # fmt: skip
        conn.execute(audit_event.insert().values(**_row(fields)))
        return AuditEvent(**fields)

    def append_many(self, conn: Connection, events: Iterable[Mapping[str, Any]]) -> tuple[int, str]:
        """Append many events in ``conn``'s transaction (one read of the head, one insert).

        Each mapping has the keyword arguments of :meth:`append`. Returns the new
        head (sequence, hash). All events commit or roll back together.
        """
        seq, prev = self._locked_head(conn)
        rows: list[dict[str, Any]] = []
        for e in events:
            missing = [k for k in _REQUIRED if not e.get(k)]
            if missing:
                raise AuditError(
                    f"audit event #{len(rows) + 1} of the batch lacks {', '.join(missing)}"
                )
            seq += 1
            fields = _chain_fields(seq, prev, **e)
            prev = fields["hash"]
            rows.append(_row(fields))
        if rows:
            conn.execute(audit_event.insert(), rows)
        return seq, prev

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
            return self._last(conn)

    def anchor(self) -> Anchor:
        """The current head as an :class:`Anchor`, to print, sign or publish elsewhere."""
        return Anchor(*self.head())

    def verify(
        self, expected_head: str | None = None, anchors: Iterable[Anchor] = ()
    ) -> Verification:
        """Check the chain end to end; raise :class:`TamperedLogError` at the first bad event.

        ``expected_head``: the log must end at this hash. ``anchors``: each
        anchored (seq, hash) must still be in the log (it may have grown since).
        """
        return verify_chain(self._raw_fields(), expected_head=expected_head, anchors=anchors)

    def export_jsonl(self, path: Path) -> int:
        """Write every event as one JSON line for an outside auditor; return the count."""
        n = 0
        with path.open("wb") as out:
            for fields in self._raw_fields():
                out.write(orjson.dumps(fields, option=orjson.OPT_SORT_KEYS) + b"\n")
                n += 1
        return n

    def _locked_head(self, conn: Connection) -> tuple[int, str]:
        """The head, read after taking the log's write lock until ``conn``'s transaction ends.

        Appenders in other threads or processes then wait instead of reading the same head
        and colliding on the next sequence number. PostgreSQL: a table lock that blocks
        other appenders, not readers. SQLite: a no-op write takes the database's write lock
        (waiting up to the busy timeout) before the head is read.
        """
        if conn.dialect.name == "postgresql":
            conn.execute(text("LOCK TABLE audit_event IN SHARE ROW EXCLUSIVE MODE"))
        else:
            conn.execute(audit_event.update().where(false()).values(seq=audit_event.c.seq))
        return self._last(conn)

    def _last(self, conn: Connection) -> tuple[int, str]:
        last = conn.execute(
            select(audit_event.c.seq, audit_event.c.hash)
            .order_by(audit_event.c.seq.desc())
            .limit(1)
        ).first()
        return (int(last.seq), str(last.hash)) if last else (0, GENESIS)

    def _raw_fields(self) -> Iterator[dict[str, Any]]:
        """Every event as a plain dict, streamed in batches (the verification hot path)."""
        columns = [audit_event.c[name] for name in (*FIELDS, "hash")]
        names = (*FIELDS, "hash")
        details_at = names.index("details")
        with self.engine.connect() as conn:
            result = conn.execution_options(yield_per=_READ_BATCH).execute(
                select(*columns).order_by(audit_event.c.seq)
            )
            for row in result:
                values = list(row)
                values[details_at] = _load_details(values[details_at])
                yield dict(zip(names, values, strict=True))


def verify_jsonl(
    path: Path, expected_head: str | None = None, anchors: Iterable[Anchor] = ()
) -> Verification:
    """Verify an exported log without access to the node: what an outside auditor runs."""
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise AuditError(f"cannot read audit export {path}: {exc.strerror}") from exc

    def lines() -> Iterator[dict[str, Any]]:
        with handle:
            for number, line in enumerate(handle, start=1):
                try:
                    event = orjson.loads(line)
                except orjson.JSONDecodeError as exc:
                    raise TamperedLogError(f"{path.name} line {number} is not JSON") from exc
                if not isinstance(event, dict) or not set(FIELDS) <= event.keys():
                    raise TamperedLogError(f"{path.name} line {number} is not an audit event")
                yield event

    return verify_chain(lines(), expected_head=expected_head, anchors=anchors)


def _chain_fields(
    seq: int,
    prev: str,
    *,
    actor: str,
    role: str,
    action: str,
    object: str,
    purpose: str = "",
    outcome: str = "ok",
    details: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> dict[str, Any]:
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
    return fields


def _row(fields: dict[str, Any]) -> dict[str, Any]:
    return dict(fields, details=orjson.dumps(fields["details"]).decode())


def _load_details(text: str) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return {"unreadable": text}


def _to_event(row: Any) -> AuditEvent:
    values = dict(row)
    values["details"] = _load_details(values["details"])
    return AuditEvent(**values)
