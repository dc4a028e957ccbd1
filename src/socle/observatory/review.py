"""The review workflow: declarations of interests, reviews and publication.

Reviewers file a declaration of interests before reviewing, and may not review or
publish an entry they submitted (any version) or are conflicted on (the entry or its
maker, case-insensitive). Batch moves skip those entries and say why. Every move appends
an audit event with the reviewer and the ``observatory_reviewer`` role, in the same
transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import Connection, Engine, and_, bindparam, select

from socle.audit import AuditLog
from socle.observatory.errors import WorkflowError
from socle.observatory.registry import Entry, Registry, submitters
from socle.observatory.tables import declaration, entry, entry_version
from socle.roles import Role

REVIEWER = Role.OBSERVATORY_REVIEWER
ReviewOutcome = Literal["reviewed", "changes_requested"]


@dataclass(frozen=True)
class Declaration:
    reviewer: str
    declared_at: str
    makers: tuple[str, ...]
    entries: tuple[str, ...]
    statement: str


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Reviews:
    def __init__(self, engine: Engine, audit: AuditLog, registry: Registry) -> None:
        self.engine, self.audit, self.registry = engine, audit, registry

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
                reviewer=reviewer, declared_at=at, makers=list(makers_t),
                entries=list(entries_t), statement=statement,
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
            row.reviewer, row.declared_at, tuple(row.makers), tuple(row.entries), row.statement,
        )  # fmt: skip

    def review(
        self, entry_id: str, *, reviewer: str, outcome: ReviewOutcome = "reviewed", note: str = ""
    ) -> Entry:
        """Record a review of the entry's latest version."""
        reviewed, skipped = self.review_many([entry_id], reviewer=reviewer, outcome=outcome,
                                             note=note)  # fmt: skip
        if skipped:
            raise WorkflowError(skipped[entry_id])
        return self.registry.entry(reviewed[0])

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
        return self.registry.entry(done[0])

    def publish_many(
        self, entry_ids: Sequence[str], *, actor: str
    ) -> tuple[list[str], dict[str, str]]:
        return self._move(entry_ids, actor, "reviewed", "published", "")

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
            rows = {r.id: r for r in self.registry.current_rows(conn, list(entry_ids))}
            who_submitted = submitters(conn, list(rows))
            for entry_id in entry_ids:
                row = rows.get(entry_id)
                if row is None:
                    skipped[entry_id] = f"no entry '{entry_id}'"
                elif row.state != from_state:
                    skipped[entry_id] = (
                        f"entry {entry_id} is {row.state}; only a {from_state} entry can be {to_state}"
                    )
                elif actor in who_submitted.get(entry_id, set()):
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


def _maker(row: Any) -> str:
    return str(row.data.get("maker", ""))
