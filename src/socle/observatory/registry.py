"""The register of entries: submitted → reviewed → published, every change a new version.

What the public sees is an entry's *published version*; a later revision waits for its
own review while the published one stays visible, so an unreviewed change is never
public. Reviewers file a declaration of interests before reviewing, and may not review
or publish an entry they submitted (any version) or are conflicted on (the entry or its
maker). Every move appends an audit event with the real actor and role in the same
transaction.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import orjson
from sqlalchemy import Connection, Engine, and_, bindparam, func, select

from socle.audit import AuditLog
from socle.observatory.errors import EntryNotFoundError, WorkflowError
from socle.observatory.model import EntryData, entry_json, parse_entry
from socle.observatory.tables import declaration, entry, entry_version

REVIEWER = "observatory_reviewer"
ReviewOutcome = Literal["reviewed", "changes_requested"]


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
class Declaration:
    reviewer: str
    declared_at: str
    makers: tuple[str, ...]
    entries: tuple[str, ...]
    statement: str


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

    # -- reviewers -------------------------------------------------------------------------

    def declare_interests(
        self, reviewer: str, *, makers: Iterable[str] = (), entries: Iterable[str] = (),
        statement: str,
    ) -> Declaration:  # fmt: skip
        """File a reviewer's declaration of interests (it replaces the previous one)."""
        if not statement.strip():
            raise WorkflowError(f"reviewer {reviewer}: state the declaration (even 'no conflict')")
        makers_t = tuple(sorted({m.strip() for m in makers if m.strip()}))
        entries_t = tuple(sorted({e.strip() for e in entries if e.strip()}))
        at = _now()
        with self.engine.begin() as conn:
            conn.execute(declaration.insert().values(
                reviewer=reviewer, declared_at=at, makers=orjson.dumps(makers_t).decode(),
                entries=orjson.dumps(entries_t).decode(), statement=statement,
            ))  # fmt: skip
            self.audit.append(
                conn, actor=reviewer, role=REVIEWER, action="observatory.declare_interests",
                object=reviewer, details={"makers": len(makers_t), "entries": list(entries_t)},
            )  # fmt: skip
        return Declaration(reviewer, at, makers_t, entries_t, statement)

    def declaration_of(self, reviewer: str) -> Declaration | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(declaration).where(declaration.c.reviewer == reviewer)
                .order_by(declaration.c.id.desc()).limit(1)
            ).first()  # fmt: skip
        if row is None:
            return None
        return Declaration(
            row.reviewer, row.declared_at, tuple(orjson.loads(row.makers)),
            tuple(orjson.loads(row.entries)), row.statement,
        )  # fmt: skip

    # -- review and publication -------------------------------------------------------------

    def review(
        self, entry_id: str, *, reviewer: str, outcome: ReviewOutcome = "reviewed", note: str = ""
    ) -> Entry:
        """Record a review of the entry's latest version."""
        reviewed, skipped = self.review_many([entry_id], reviewer=reviewer, outcome=outcome,
                                             note=note)  # fmt: skip
        if skipped:
            raise WorkflowError(skipped[entry_id])
        return self.entry(reviewed[0])

    def review_many(
        self, entry_ids: Sequence[str], *, reviewer: str, outcome: ReviewOutcome = "reviewed",
        note: str = "",
    ) -> tuple[list[str], dict[str, str]]:  # fmt: skip
        """Review several entries; those the reviewer may not review are skipped, with why."""
        if outcome not in ("reviewed", "changes_requested"):
            raise WorkflowError(
                f"review outcome must be reviewed or changes_requested, not {outcome}"
            )
        if outcome == "changes_requested" and not note.strip():
            raise WorkflowError("say which changes are requested (note)")
        return self._move(entry_ids, reviewer, "submitted", outcome, note)

    def publish(self, entry_id: str, *, actor: str) -> Entry:
        """Make the reviewed latest version the public one."""
        done, skipped = self.publish_many([entry_id], actor=actor)
        if skipped:
            raise WorkflowError(skipped[entry_id])
        return self.entry(done[0])

    def publish_many(
        self, entry_ids: Sequence[str], *, actor: str
    ) -> tuple[list[str], dict[str, str]]:
        return self._move(entry_ids, actor, "reviewed", "published", "")

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

    def _move(
        self, entry_ids: Sequence[str], actor: str, from_state: str, to_state: str, note: str
    ) -> tuple[list[str], dict[str, str]]:
        decl = self.declaration_of(actor)
        verb = "review" if from_state == "submitted" else "publish"
        if decl is None:
            raise WorkflowError(
                f"{actor}: file a declaration of interests before you {verb} entries"
            )
        at = _now()
        done: list[str] = []
        skipped: dict[str, str] = {}
        with self.engine.begin() as conn:
            rows = {r.id: r for r in self._current_rows(conn, entry_ids)}
            submitters = self._submitters(conn, list(rows))
            for entry_id in entry_ids:
                row = rows.get(entry_id)
                if row is None:
                    skipped[entry_id] = f"no entry '{entry_id}'"
                elif row.state != from_state:
                    skipped[entry_id] = (
                        f"entry {entry_id} is {row.state}; only a {from_state} entry can be {to_state}"
                    )
                elif actor in submitters.get(entry_id, set()):
                    skipped[entry_id] = f"{actor} submitted entry {entry_id} and may not {verb} it"
                elif entry_id in decl.entries or _maker(row).lower() in {
                    m.lower() for m in decl.makers
                }:
                    skipped[entry_id] = (
                        f"{actor} declared a conflict of interest on entry {entry_id} or its maker"
                    )
                else:
                    done.append(entry_id)
            if done:
                self._apply(conn, done, rows, actor, to_state, note, at)
        return done, skipped

    def _apply(
        self, conn: Connection, ids: list[str], rows: dict[str, Any], actor: str, to_state: str,
        note: str, at: str,
    ) -> None:  # fmt: skip
        params = [{"e": i, "v": rows[i].current_version} for i in ids]
        where = and_(entry_version.c.entry_id == bindparam("e"),
                     entry_version.c.version == bindparam("v"))  # fmt: skip
        if to_state == "published":
            conn.execute(entry_version.update().where(where).values(published_by=actor,
                         published_at=at), params)  # fmt: skip
            conn.execute(
                entry.update().where(entry.c.id == bindparam("e")).values(
                    state="published", published_version=bindparam("v"), updated_at=at),
                params,
            )  # fmt: skip
        else:
            conn.execute(entry_version.update().where(where).values(
                review_outcome=to_state, reviewed_by=actor, reviewed_at=at, review_note=note),
                params)  # fmt: skip
            conn.execute(entry.update().where(entry.c.id == bindparam("e")).values(
                state=to_state, updated_at=at), params)  # fmt: skip
        action = "observatory.publish" if to_state == "published" else f"observatory.{to_state}"
        self.audit.append_many(conn, [
            {"actor": actor, "role": REVIEWER, "action": action, "object": i,
             "details": {"version": rows[i].current_version}}
            for i in ids
        ])  # fmt: skip

    # -- reads -------------------------------------------------------------------------------

    def entry(self, entry_id: str) -> Entry:
        with self.engine.connect() as conn:
            rows = self._current_rows(conn, [entry_id])
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
                           parse_entry(orjson.loads(r.data), record=r.id), r.published_at,
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
            current = parse_entry(orjson.loads(data), record=entry_id)
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

    def _current_rows(self, conn: Connection, ids: Sequence[str]) -> list[Any]:
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

    def _submitters(self, conn: Connection, ids: list[str]) -> dict[str, set[str]]:
        found: dict[str, set[str]] = {}
        for start in range(0, len(ids), 500):
            q = select(entry_version.c.entry_id, entry_version.c.submitted_by).where(
                entry_version.c.entry_id.in_(ids[start : start + 500]))  # fmt: skip
            for entry_id, who in conn.execute(q):
                found.setdefault(entry_id, set()).add(who)
        return found

    def _entry_from(self, row: Any, conn: Connection) -> Entry:
        return Entry(
            row.id, row.kind, row.source, row.external_ref, row.state, row.current_version,
            row.published_version, parse_entry(orjson.loads(row.data), record=row.id),
            row.updated_at,
        )  # fmt: skip


def _current_query() -> Any:
    v = entry_version
    return select(entry, v.c.data, v.c.digest).join(
        v, and_(v.c.entry_id == entry.c.id, v.c.version == entry.c.current_version)
    )


def _maker(row: Any) -> str:
    return str(orjson.loads(row.data).get("maker", ""))


def _version_row(
    entry_id: str, version: int, data: EntryData, actor: str, role: str, at: str, note: str
) -> dict[str, Any]:
    return {
        "entry_id": entry_id, "version": version,
        "data": orjson.dumps(entry_json(data)).decode(), "digest": digest(data),
        "category": getattr(data, "category", "database"), "submitted_by": actor,
        "submitted_role": role, "submitted_at": at, "note": note,
    }  # fmt: skip
