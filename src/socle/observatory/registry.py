"""The register of entries: submissions and versions, and what the public may read.

Every change is a new version. What the public sees is an entry's *published version*;
a later revision waits for its own review (:mod:`socle.observatory.review`) while the
published one stays visible, so an unreviewed change is never public. Every submission
appends an audit event with the real actor and role in the same transaction.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, and_, func, select

from socle.audit import AuditLog
from socle.observatory.errors import EntryNotFoundError, WorkflowError
from socle.observatory.model import EntryData, entry_json, parse_entry
from socle.observatory.tables import entry, entry_version


@dataclass(frozen=True)
class Entry:
    """An entry as its submitters and reviewers see it: the latest version and its state."""

    id: str
    kind: str
    source: str
    external_ref: str | None
    state: str  # submitted | changes_requested | reviewed | published
    version: int
    published_version: int | None
    data: EntryData
    updated_at: str


@dataclass(frozen=True)
class PublishedEntry:
    """What the public sees: the published version only."""

    id: str
    kind: str
    source: str
    external_ref: str | None
    version: int
    data: EntryData
    published_at: str
    reviewed_by: str


@dataclass(frozen=True)
class Version:
    version: int
    digest: str
    submitted_by: str
    submitted_role: str
    submitted_at: str
    note: str
    review_outcome: str | None
    reviewed_by: str | None
    reviewed_at: str | None
    review_note: str | None
    published_by: str | None
    published_at: str | None


@dataclass(frozen=True)
class BatchResult:
    """What an import did, entry by entry (idempotent: a re-run leaves all unchanged)."""

    batch: str
    created: tuple[str, ...]
    revised: tuple[str, ...]
    unchanged: tuple[str, ...]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def digest(data: EntryData) -> str:
    return hashlib.sha256(orjson.dumps(entry_json(data), option=orjson.OPT_SORT_KEYS)).hexdigest()


class Registry:
    def __init__(self, engine: Engine, audit: AuditLog) -> None:
        self.engine, self.audit = engine, audit

    # -- submissions ---------------------------------------------------------------------

    def submit(
        self, data: EntryData, *, actor: str, role: str, source: str = "submission",
        external_ref: str | None = None, note: str = "",
    ) -> Entry:  # fmt: skip
        """A new entry, version 1, waiting for review."""
        result = self.submit_batch(
            [(external_ref, data)], actor=actor, role=role, source=source, note=note, batch=None
        )
        entry_id = (result.created or result.revised or result.unchanged)[0]
        return self.entry(entry_id)

    def revise(self, entry_id: str, data: EntryData, *, actor: str, role: str, note: str) -> Entry:
        """A new version of an entry; the published one stays public until this is reviewed."""
        current = self.entry(entry_id)
        if current.kind != data.kind:
            raise WorkflowError(f"entry {entry_id} is a {current.kind}, not a {data.kind}")
        with self.engine.begin() as conn:
            self._add_version(conn, current, data, actor=actor, role=role, note=note)
        return self.entry(entry_id)

    def submit_batch(
        self, items: Sequence[tuple[str | None, EntryData]], *, actor: str, role: str,
        source: str, note: str = "", batch: str | None = None,
    ) -> BatchResult:  # fmt: skip
        """Submit many entries in one transaction, keyed by external reference when given.

        An item whose reference is known and whose data is unchanged is left alone; a
        changed one gets a new version; an unknown one a new entry.
        """
        refs = [r for r, _ in items if r]
        twice = sorted({r for r in refs if refs.count(r) > 1}) if len(set(refs)) < len(refs) else []
        if twice:
            raise WorkflowError(
                f"reference(s) {', '.join(twice[:5])} appear twice; nothing imported"
            )
        with self.engine.begin() as conn:
            known = {row.external_ref: row for row in self._by_refs(conn, refs)}
            created, revised, unchanged, events = [], [], [], []
            new_entries: list[dict[str, Any]] = []
            new_versions: list[dict[str, Any]] = []
            at = _now()
            for ref, data in items:
                existing = known.get(ref) if ref else None
                if existing is not None:
                    if existing.digest == digest(data):
                        unchanged.append(existing.id)
                        continue
                    current = self._entry_from(existing, conn)
                    self._add_version(conn, current, data, actor=actor, role=role, note=note)
                    revised.append(existing.id)
                    continue
                entry_id = "obs-" + uuid.uuid4().hex[:10]
                new_entries.append({
                    "id": entry_id, "kind": data.kind, "source": source, "external_ref": ref,
                    "batch": batch, "state": "submitted", "current_version": 1,
                    "published_version": None, "created_at": at, "updated_at": at,
                })  # fmt: skip
                new_versions.append(_version_row(entry_id, 1, data, actor, role, at, note))
                events.append({
                    "actor": actor, "role": role, "action": "observatory.submit",
                    "object": entry_id, "details": {"version": 1, "source": source,
                    "ref": ref or "", "batch": batch or ""},
                })  # fmt: skip
                created.append(entry_id)
            if new_entries:
                conn.execute(entry.insert(), new_entries)
                conn.execute(entry_version.insert(), new_versions)
                self.audit.append_many(conn, events)
        return BatchResult(batch or "", tuple(created), tuple(revised), tuple(unchanged))

    def entry_ids(
        self, *, source: str | None = None, batch: str | None = None, state: str | None = None
    ) -> list[str]:
        """Ids of the entries matching every filter given (e.g. an import awaiting review)."""
        query = select(entry.c.id).order_by(entry.c.id)
        for column, value in ((entry.c.source, source), (entry.c.batch, batch),
                              (entry.c.state, state)):  # fmt: skip
            if value:
                query = query.where(column == value)
        with self.engine.connect() as conn:
            return list(conn.execute(query).scalars())

    # -- reads -------------------------------------------------------------------------------

    def entry(self, entry_id: str) -> Entry:
        with self.engine.connect() as conn:
            rows = self.current_rows(conn, [entry_id])
            if not rows:
                raise EntryNotFoundError(f"no entry '{entry_id}' in the observatory")
            return self._entry_from(rows[0], conn)

    def entries(self, state: str | None = None, limit: int = 100, offset: int = 0) -> list[Entry]:
        """The work queue (all states), newest first."""
        query = _current_query().order_by(entry.c.updated_at.desc(), entry.c.id)
        if state:
            query = query.where(entry.c.state == state)
        with self.engine.connect() as conn:
            return [
                self._entry_from(r, conn) for r in conn.execute(query.limit(limit).offset(offset))
            ]

    def history(self, entry_id: str) -> list[Version]:
        self.entry(entry_id)
        with self.engine.connect() as conn:
            rows = conn.execute(select(entry_version).where(entry_version.c.entry_id == entry_id)
                                .order_by(entry_version.c.version)).all()  # fmt: skip
        return [
            Version(r.version, r.digest, r.submitted_by, r.submitted_role, r.submitted_at, r.note,
                    r.review_outcome, r.reviewed_by, r.reviewed_at, r.review_note,
                    r.published_by, r.published_at)
            for r in rows
        ]  # fmt: skip

    def published(self, entry_id: str, as_of: str | None = None) -> PublishedEntry:
        found = self.published_entries(ids=[entry_id], as_of=as_of)
        if not found:
            raise EntryNotFoundError(f"no published entry '{entry_id}' in the observatory")
        return found[0]

    def published_entries(
        self, *, kind: str | None = None, category: str | None = None,
        ids: Sequence[str] | None = None, as_of: str | None = None,
    ) -> list[PublishedEntry]:  # fmt: skip
        """Entries as the public sees them (now, or as they were published at ``as_of``)."""
        v = entry_version
        latest = select(v.c.entry_id, func.max(v.c.version).label("version")).where(
            v.c.published_at.is_not(None)
        )
        if as_of:
            latest = latest.where(v.c.published_at <= as_of)
        sub = latest.group_by(v.c.entry_id).subquery()
        query = (
            select(entry.c.id, entry.c.kind, entry.c.source, entry.c.external_ref, v.c.version,
                   v.c.data, v.c.published_at, v.c.reviewed_by)
            .join(sub, sub.c.entry_id == entry.c.id)
            .join(v, and_(v.c.entry_id == sub.c.entry_id, v.c.version == sub.c.version))
            .order_by(entry.c.id)
        )  # fmt: skip
        if kind:
            query = query.where(entry.c.kind == kind)
        if category:
            query = query.where(v.c.category == category)
        if ids is not None:
            query = query.where(entry.c.id.in_(list(ids)))
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [
            PublishedEntry(r.id, r.kind, r.source, r.external_ref, r.version,
                           parse_entry(r.data, record=r.id), r.published_at,
                           r.reviewed_by or "")
            for r in rows
        ]  # fmt: skip

    def published_pairs(self) -> dict[str, tuple[EntryData | None, EntryData]]:
        """Each published entry's previous published version (if any) and current one."""
        v = entry_version
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(v.c.entry_id, v.c.data).where(v.c.published_at.is_not(None))
                .order_by(v.c.entry_id, v.c.version)
            ).all()  # fmt: skip
        pairs: dict[str, tuple[EntryData | None, EntryData]] = {}
        for entry_id, data in rows:
            current = parse_entry(data, record=entry_id)
            before = pairs.get(entry_id)
            pairs[entry_id] = (before[1] if before else None, current)
        return pairs

    def by_ref(self, external_ref: str) -> Entry | None:
        with self.engine.connect() as conn:
            rows = self._by_refs(conn, [external_ref])
            return self._entry_from(rows[0], conn) if rows else None

    # -- helpers -----------------------------------------------------------------------------

    def _add_version(
        self, conn: Connection, current: Entry, data: EntryData, *, actor: str, role: str,
        note: str,
    ) -> None:  # fmt: skip
        if digest(data) == digest(current.data):
            return
        at, version = _now(), current.version + 1
        conn.execute(entry_version.insert().values(
            **_version_row(current.id, version, data, actor, role, at, note)))  # fmt: skip
        conn.execute(entry.update().where(entry.c.id == current.id).values(
            current_version=version, state="submitted", updated_at=at))  # fmt: skip
        self.audit.append(
            conn, actor=actor, role=role, action="observatory.revise", object=current.id,
            details={"version": version},
        )  # fmt: skip

    def current_rows(self, conn: Connection, ids: Sequence[str]) -> list[Any]:
        """The entries' rows with their current version's data (for the review workflow)."""
        rows: list[Any] = []
        for start in range(0, len(ids), 500):
            chunk = list(ids[start : start + 500])
            rows += conn.execute(_current_query().where(entry.c.id.in_(chunk))).all()
        return rows

    def _by_refs(self, conn: Connection, refs: Sequence[str]) -> list[Any]:
        rows: list[Any] = []
        for start in range(0, len(refs), 500):
            chunk = list(refs[start : start + 500])
            rows += conn.execute(_current_query().where(entry.c.external_ref.in_(chunk))).all()
        return rows

    def _entry_from(self, row: Any, conn: Connection) -> Entry:
        return Entry(
            row.id, row.kind, row.source, row.external_ref, row.state, row.current_version,
            row.published_version, parse_entry(row.data, record=row.id),
            row.updated_at,
        )  # fmt: skip


def _current_query() -> Any:
    v = entry_version
    return select(entry, v.c.data, v.c.digest).join(
        v, and_(v.c.entry_id == entry.c.id, v.c.version == entry.c.current_version)
    )


def _version_row(
    entry_id: str, version: int, data: EntryData, actor: str, role: str, at: str, note: str
) -> dict[str, Any]:
    return {
        "entry_id": entry_id, "version": version,
        "data": entry_json(data), "digest": digest(data),
        "category": getattr(data, "category", "database"), "submitted_by": actor,
        "submitted_role": role, "submitted_at": at, "note": note,
    }  # fmt: skip


def submitters(conn: Connection, ids: list[str]) -> dict[str, set[str]]:
    """Who submitted any version of each entry."""
    found: dict[str, set[str]] = {}
    for start in range(0, len(ids), 500):
        q = select(entry_version.c.entry_id, entry_version.c.submitted_by).where(
            entry_version.c.entry_id.in_(ids[start : start + 500]))  # fmt: skip
        for entry_id, who in conn.execute(q):
            found.setdefault(entry_id, set()).add(who)
    return found
