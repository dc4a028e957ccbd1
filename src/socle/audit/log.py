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
    MetaData,
    String,
    Table,
    Text,
    event,
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
from socle.audit.seal import AnchorFile, Seal, check_head_signature
from socle.roles import Role
from socle.store import Page, fetch_page

_EVENT_FIELDS = frozenset((*FIELDS, "hash"))

__all__ = ["AuditError", "AuditEvent", "AuditLog", "TamperedLogError", "Verification"]

TABLES = MetaData()  # this context's tables; socle.node composes the store

audit_event = Table(
    "audit_event",
    TABLES,
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

# The keyed seal of each event (see :mod:`socle.audit.seal`). A table of its own, so a log
# from before sealing gains it without altering ``audit_event`` (``socle audit upgrade``).
audit_seal = Table(
    "audit_seal",
    TABLES,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("mac", String(64), nullable=False),
)

_REQUIRED = ("actor", "role", "action", "object")
_PENDING = "socle.audit.pending"  # on a connection's info: it appended; anchor after commit
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
    """Append and verify the chain. Appends join the caller's transaction.

    With a :class:`Seal` (every node has one), each event is sealed with the
    audit key in the same transaction, and once that transaction is over the
    committed head is appended to the anchor file; :meth:`verify` then checks
    seals and anchors by default. Without one, only the SHA-256 chain is kept.
    """

    def __init__(self, engine: Engine, seal: Seal | None = None) -> None:
        self.engine, self.seal = engine, seal
        self.anchors = AnchorFile(seal) if seal else None
        if seal is not None:
            event.listen(engine, "checkin", self._anchor_after_commit)

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
        self._seal(conn, [fields], fresh=seq == 0)
        return AuditEvent(**fields)

    def append_many(self, conn: Connection, events: Iterable[Mapping[str, Any]]) -> tuple[int, str]:
        """Append many events in ``conn``'s transaction (one read of the head, one insert).

        Each mapping has the keyword arguments of :meth:`append`. Returns the new
        head (sequence, hash). All events commit or roll back together.
        """
        seq, prev = self._locked_head(conn)
        fresh = seq == 0
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
            self._seal(conn, rows, fresh=fresh)
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

    def page(
        self,
        *,
        action: str | None = None,
        actor: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> Page[AuditEvent]:
        """One page of events, oldest first, filtered and counted in SQL."""
        query = select(audit_event).order_by(audit_event.c.seq)
        if action:
            query = query.where(audit_event.c.action == action)
        if actor:
            query = query.where(audit_event.c.actor == actor)
        with self.engine.connect() as conn:
            return fetch_page(conn, query, limit, offset, lambda r: _to_event(r._mapping))

    def head(self) -> tuple[int, str]:
        """Sequence number and hash of the last event: anchor it elsewhere to detect truncation."""
        with self.engine.connect() as conn:
            return self._last(conn)

    def signed_head(self) -> dict[str, Any]:
        """The head with its Ed25519 signature (when sealed), to put in what leaves the node."""
        seq, digest = self.head()
        head: dict[str, Any] = {"seq": seq, "hash": digest}
        if self.seal is not None:
            head["signature"] = self.seal.sign_head(seq, digest)
        return head

    def anchor(self) -> Anchor:
        """The current head as an :class:`Anchor`, to print, sign or publish elsewhere."""
        return Anchor(*self.head())

    def verify(
        self, expected_head: str | None = None, anchors: Iterable[Anchor] = ()
    ) -> Verification:
        """Check the chain end to end; raise :class:`TamperedLogError` at the first bad event.

        ``expected_head``: the log must end at this hash. ``anchors``: each
        anchored (seq, hash) must still be in the log (it may have grown since).
        A sealed log also checks every event's seal and every line of the
        anchor file, and refuses a log with events but no anchor file.
        """
        if self.seal is None or self.anchors is None:
            return verify_chain(self._raw_fields(), expected_head=expected_head, anchors=anchors)
        stored = self.anchors.read()
        if not stored and self.head()[0] > 0:
            raise TamperedLogError(
                f"the audit anchor file {self.seal.anchor_path} is missing or empty, so the "
                "head of the log cannot be checked (it was deleted, or the log predates "
                "anchoring: run `socle audit upgrade`)"
            )
        return verify_chain(
            self._raw_fields(), expected_head=expected_head, anchors=[*anchors, *stored],
            seal_of=self.seal.event_mac,
        )  # fmt: skip

    def upgrade(self, *, actor: str) -> int:
        """Seal a log written before sealing, then anchor its head; return the events sealed.

        The SHA-256 chain is verified first, against any heads already in the
        anchor file: sealing trusts the log as it is now, so run it once, on a
        log you have reason to trust (see docs/audit.md).
        """
        if self.seal is None or self.anchors is None:
            raise AuditError("this audit log has no key to seal with")
        verify_chain(self._raw_fields(), anchors=self.anchors.read())
        with self.engine.begin() as conn:
            sealed = set(conn.execute(select(audit_seal.c.seq)).scalars())
            rows = [
                {"seq": seq, "mac": self.seal.event_mac(seq, digest)}
                for seq, digest in conn.execute(
                    select(audit_event.c.seq, audit_event.c.hash).order_by(audit_event.c.seq)
                )
                if seq not in sealed
            ]
            if rows:
                conn.execute(audit_seal.insert(), rows)
            self.append(
                conn, actor=actor, role=Role.ADMINISTRATOR, action="audit.upgrade", object="audit",
                details={"sealed": len(rows)},
            )  # fmt: skip
            conn.info.pop(_PENDING, None)
        self.anchors.write(*self.head(), create=True)
        return len(rows)

    def export_jsonl(self, path: Path) -> int:
        """Write every event (with its seal) as one JSON line for an outside auditor.

        The head is written beside it (``<name>.head.json``, sealed) and to the
        anchor file. Returns the count.
        """
        n, head = 0, Anchor(0, GENESIS)
        with path.open("wb") as out:
            for fields in self._raw_fields():
                out.write(orjson.dumps(fields, option=orjson.OPT_SORT_KEYS) + b"\n")
                n, head = n + 1, Anchor(fields["seq"], fields["hash"])
        sidecar: dict[str, Any] = {"seq": head.seq, "hash": head.hash}
        if self.seal is not None and self.anchors is not None:
            sidecar["mac"] = self.seal.anchor_mac(head.seq, head.hash)
            sidecar["signature"] = self.seal.sign_head(head.seq, head.hash)
            sidecar["public_key"] = self.seal.public_key()
            self.anchors.write(head.seq, head.hash, create=False)
        head_path(path).write_bytes(orjson.dumps(sidecar))
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

    def _seal(self, conn: Connection, rows: list[dict[str, Any]], *, fresh: bool) -> None:
        """Seal appended events in the caller's transaction; anchor once it is over."""
        if self.seal is None:
            return
        mac = self.seal.event_mac
        conn.execute(
            audit_seal.insert(), [{"seq": r["seq"], "mac": mac(r["seq"], r["hash"])} for r in rows]
        )
        conn.info[_PENDING] = conn.info.get(_PENDING, False) or fresh

    def _anchor_after_commit(self, dbapi_conn: Any, record: Any) -> None:
        """Pool check-in (the transaction is over): anchor the committed head if it moved."""
        if _PENDING not in record.info or dbapi_conn is None or self.anchors is None:
            return
        fresh = record.info.pop(_PENDING)
        cursor = dbapi_conn.cursor()
        try:
            cursor.execute("SELECT seq, hash FROM audit_event ORDER BY seq DESC LIMIT 1")
            row = cursor.fetchone()
        finally:
            cursor.close()
            dbapi_conn.rollback()
        if row is not None:
            self.anchors.write(int(row[0]), str(row[1]), create=fresh)

    def _raw_fields(self) -> Iterator[dict[str, Any]]:
        """Every event as a plain dict (with its seal), streamed in batches."""
        columns = [audit_event.c[name] for name in (*FIELDS, "hash")]
        names = (*FIELDS, "hash", "mac")
        details_at = names.index("details")
        with self.engine.connect() as conn:
            result = conn.execution_options(yield_per=_READ_BATCH).execute(
                select(*columns, audit_seal.c.mac)
                .select_from(
                    audit_event.outerjoin(audit_seal, audit_seal.c.seq == audit_event.c.seq)
                )
                .order_by(audit_event.c.seq)
            )
            for row in result:
                values = list(row)
                values[details_at] = _load_details(values[details_at])
                yield dict(zip(names, values, strict=True))


def head_path(export: Path) -> Path:
    """Where an export's head is written: ``<export>.head.json`` beside it."""
    return export.with_name(export.name + ".head.json")


def verify_jsonl(
    path: Path,
    expected_head: str | None = None,
    anchors: Iterable[Anchor] = (),
    seal: Seal | None = None,
    public_key: str | None = None,
) -> Verification:
    """Verify an exported log without access to the node: what an outside auditor runs.

    The head written beside the export, when present, must end the log (a
    truncated export fails). With the node's published ``public_key``, the
    head's Ed25519 signature is checked (no secret needed); with the node's
    audit ``seal``, every event's seal too.
    """
    sidecar = head_path(path)
    if public_key is not None and not sidecar.exists():
        raise TamperedLogError(f"{sidecar.name} is missing: the export's head cannot be checked")
    if sidecar.exists() and expected_head is None:
        head = orjson.loads(sidecar.read_bytes())
        if seal is not None and head.get("mac") != seal.anchor_mac(head["seq"], head["hash"]):
            raise TamperedLogError(f"{sidecar.name} is not sealed by this node's audit key")
        if public_key is not None:
            check_head_signature(
                public_key, int(head["seq"]), str(head["hash"]), str(head.get("signature", ""))
            )
        expected_head = str(head["hash"]) if head["seq"] else None
        anchors = (
            [*anchors, Anchor(int(head["seq"]), str(head["hash"]))] if head["seq"] else anchors
        )
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

    return verify_chain(
        lines(), expected_head=expected_head, anchors=anchors,
        seal_of=seal.event_mac if seal else None,
    )  # fmt: skip


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
    values = {k: v for k, v in dict(row).items() if k in _EVENT_FIELDS}
    values["details"] = _load_details(values["details"])
    return AuditEvent(**values)
