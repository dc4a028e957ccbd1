"""The consent registry: append-only events, current state derived from history.

Events are never updated or deleted. The state of a patient for a purpose at
a date is the purpose's default (opt-out: included; opt-in: excluded),
changed by each event whose effective date is on or before that date, in
order of effective date then recording order. The derivation runs in SQL
(one window query per purpose) so a filter over a million events stays fast.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    Engine,
    Index,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    and_,
    func,
    select,
)

from socle.audit import AuditLog
from socle.consent.errors import FutureDateError, InvalidConsentEventError
from socle.consent.purposes import Taxonomy
from socle.store import Page, Timestamp, fetch_page
from socle.warehouse import PersonFilter

Kind = Literal["objection", "withdraw_objection", "opt_in", "withdraw_opt_in"]
Channel = Literal["portal", "paper_form", "fhir_import", "registry_sync"]
CHANNELS: tuple[str, ...] = ("portal", "paper_form", "fhir_import", "registry_sync")
INCLUDES: dict[str, bool] = {
    "objection": False,
    "withdraw_objection": True,
    "opt_in": True,
    "withdraw_opt_in": False,
}
EXCLUDING_KINDS = tuple(k for k, inc in INCLUDES.items() if not inc)
INCLUDING_KINDS = tuple(k for k, inc in INCLUDES.items() if inc)
BATCH = 20_000

TABLES = MetaData()  # this context's tables; socle.node composes the store

consent_event = Table(
    "consent_event",
    TABLES,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("person_id", BigInteger, nullable=False, index=True),
    Column("purpose", String(60), nullable=False),
    Column("kind", String(30), nullable=False),
    Column("effective", Date, nullable=False),
    Column("recorded_at", Timestamp(), nullable=False),
    Column("channel", String(30), nullable=False),
    Column("recorded_by", String(200), nullable=False),
    Index("ix_consent_event_purpose_person", "purpose", "person_id", "effective", "id"),
)


@dataclass(frozen=True)
class ConsentEvent:
    person_id: int
    purpose: str
    kind: Kind
    effective: date
    channel: Channel
    recorded_by: str
    recorded_at: str = ""


Progress = Callable[[int, int], None]


class ConsentRegistry:
    """Records consent events and derives who may be read for a purpose."""

    def __init__(self, engine: Engine, audit: AuditLog, taxonomy: Taxonomy) -> None:
        self.engine, self.audit, self.taxonomy = engine, audit, taxonomy

    def check(self, event: ConsentEvent, where: str = "", *, today: date | None = None) -> None:
        """Refuse an event that cannot be recorded; ``where`` names the record in the message."""
        at = f"{where}: " if where else ""
        today = today or datetime.now(UTC).date()
        purpose = self.taxonomy.get(event.purpose)
        if event.kind not in INCLUDES:
            raise InvalidConsentEventError(
                f"{at}unknown consent event kind '{event.kind}'; use {', '.join(INCLUDES)}"
            )
        if event.channel not in CHANNELS:
            raise InvalidConsentEventError(
                f"{at}unknown channel '{event.channel}'; use {', '.join(CHANNELS)}"
            )
        if not event.recorded_by.strip():
            raise InvalidConsentEventError(f"{at}the event does not say who recorded it")
        opt_in_kind = event.kind in ("opt_in", "withdraw_opt_in")
        if opt_in_kind != (purpose.rule == "opt-in"):
            expected = (
                "opt_in or withdraw_opt_in"
                if purpose.rule == "opt-in"
                else "objection or withdraw_objection"
            )
            raise InvalidConsentEventError(
                f"{at}purpose '{event.purpose}' is {purpose.rule}: record {expected}, "
                f"not {event.kind}"
            )
        if event.effective > today:
            raise FutureDateError(
                f"{at}a {event.kind} for person {event.person_id} cannot take effect in the "
                f"future ({event.effective}, today is {today}); record it once it is made"
            )

    def record(
        self,
        events: Sequence[ConsentEvent],
        *,
        actor: str,
        role: str,
        on_progress: Progress | None = None,
        labels: Sequence[str] | None = None,
    ) -> int:
        """Append events in one transaction (all or none), each checked first.

        ``labels`` name each event's source record (e.g. ``line 12``) in errors;
        ``on_progress(done, total)`` is called after each batch insert.
        """
        today = datetime.now(UTC).date()
        for i, e in enumerate(events):
            self.check(e, labels[i] if labels else f"event {i + 1}", today=today)
        if not events:
            return 0
        now = datetime.now(UTC).isoformat(timespec="microseconds")
        with self.engine.begin() as conn:
            for start in range(0, len(events), BATCH):
                conn.execute(
                    consent_event.insert(),
                    [
                        {
                            "person_id": e.person_id,
                            "purpose": e.purpose,
                            "kind": e.kind,
                            "effective": e.effective,
                            "recorded_at": now,
                            "channel": e.channel,
                            "recorded_by": e.recorded_by,
                        }
                        for e in events[start : start + BATCH]
                    ],
                )
                if on_progress:
                    on_progress(min(start + BATCH, len(events)), len(events))
            purposes = sorted({e.purpose for e in events})
            self.audit.append(
                conn,
                actor=actor,
                role=role,
                action="consent.record",
                object=f"consent events x{len(events)}",
                purpose=",".join(purposes),
                details={
                    "events": len(events),
                    "kinds": sorted({e.kind for e in events}),
                    "channels": sorted({e.channel for e in events}),
                    "persons": len({e.person_id for e in events}),
                },
            )
        return len(events)

    def history(self, person_id: int) -> list[ConsentEvent]:
        """Every event of one person, in the order they take effect."""
        with self.engine.connect() as conn:
            return [_event(r) for r in conn.execute(_history(person_id))]

    def history_page(self, person_id: int, limit: int, offset: int) -> Page[ConsentEvent]:
        """One page of a person's events (in the order they take effect), and how many in all."""
        with self.engine.connect() as conn:
            return fetch_page(conn, _history(person_id), limit, offset, _event)

    def persons_with_choices(self) -> int:
        """How many persons have recorded at least one consent event (any purpose)."""
        with self.engine.connect() as conn:
            n = conn.execute(select(func.count(func.distinct(consent_event.c.person_id)))).scalar()
        return int(n or 0)

    def state(self, person_id: int, purpose: str, as_of: date) -> bool:
        """Whether the person's data may be used for ``purpose`` on ``as_of``."""
        return included(self.taxonomy.get(purpose).rule, self.history(person_id), purpose, as_of)

    def person_filter(
        self, purpose: str, as_of: date, output_type: str | None = None
    ) -> PersonFilter:
        """The filter every purposeful read goes through (see :mod:`socle.warehouse.scope`).

        With ``output_type``, every purpose the taxonomy says that use needs
        applies too: a person excluded from any of them is excluded.
        """
        excluded: frozenset[int] = frozenset()
        included_only: frozenset[int] | None = None
        for code in self.taxonomy.purposes_for(purpose, output_type):
            if self.taxonomy.get(code).rule == "opt-out":
                excluded |= self._latest(code, as_of, EXCLUDING_KINDS)
            else:
                allowed = self._latest(code, as_of, INCLUDING_KINDS)
                included_only = allowed if included_only is None else included_only & allowed
        return PersonFilter(
            purpose, as_of, excluded_person_ids=excluded, included_only=included_only
        )

    def version(self) -> int:
        """A number that changes with every recorded choice (the newest event's id; 0: none),
        so figures computed under the filters can be kept until a choice is recorded."""
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.max(consent_event.c.id))).scalar() or 0)

    def excluded_count(self, purpose: str, as_of: date) -> int:
        """How many persons an objection or withdrawal now excludes from ``purpose`` (statistics)."""
        return len(self._latest(purpose, as_of, EXCLUDING_KINDS))

    def excluded_counts(self, as_of: date) -> dict[str, int]:
        """:meth:`excluded_count` of every purpose of the taxonomy, in one query (statistics)."""
        ranked = (
            select(
                consent_event.c.purpose,
                consent_event.c.kind,
                func.row_number()
                .over(
                    partition_by=(consent_event.c.purpose, consent_event.c.person_id),
                    order_by=(consent_event.c.effective.desc(), consent_event.c.id.desc()),
                )
                .label("rn"),
            )
            .where(consent_event.c.effective <= as_of)
            .subquery()
        )
        query = (
            select(ranked.c.purpose, func.count())
            .where(ranked.c.rn == 1, ranked.c.kind.in_(EXCLUDING_KINDS))
            .group_by(ranked.c.purpose)
        )
        with self.engine.connect() as conn:
            counts = {str(p): int(n) for p, n in conn.execute(query)}
        return {code: counts.get(code, 0) for code in self.taxonomy.purposes}

    def excluded_histories(self, purpose: str, as_of: date) -> dict[int, list[ConsentEvent]]:
        """Per person now excluded from ``purpose`` (by an event), their events for it."""
        persons = self._latest(purpose, as_of, EXCLUDING_KINDS)
        if not persons:
            return {}
        query = (
            select(consent_event)
            .where(consent_event.c.purpose == purpose, consent_event.c.effective <= as_of)
            .order_by(consent_event.c.effective, consent_event.c.id)
        )
        with self.engine.connect() as conn:
            rows = [
                ConsentEvent(
                    r.person_id, r.purpose, r.kind, r.effective, r.channel, r.recorded_by,
                    r.recorded_at,
                )
                for r in conn.execute(query)
                if r.person_id in persons
            ]  # fmt: skip
        return _group(rows)

    def _latest(self, purpose: str, as_of: date, kinds: Iterable[str]) -> frozenset[int]:
        """Persons whose latest event for ``purpose`` on ``as_of`` is one of ``kinds``."""
        ranked = (
            select(
                consent_event.c.person_id,
                consent_event.c.kind,
                func.row_number()
                .over(
                    partition_by=consent_event.c.person_id,
                    order_by=(consent_event.c.effective.desc(), consent_event.c.id.desc()),
                )
                .label("rn"),
            )
            .where(and_(consent_event.c.purpose == purpose, consent_event.c.effective <= as_of))
            .subquery()
        )
        query = select(ranked.c.person_id).where(ranked.c.rn == 1, ranked.c.kind.in_(list(kinds)))
        with self.engine.connect() as conn:
            return frozenset(int(p) for (p,) in conn.execute(query))


def included(
    rule: str,
    history: Iterable[ConsentEvent],
    purpose: str,
    as_of: date,
    known_at: datetime | None = None,
) -> bool:
    """Replay one person's history (in effective order) for ``purpose`` up to ``as_of``.

    With ``known_at``, only events already recorded at that instant count: the
    state a read started then actually enforced.
    """
    state = rule == "opt-out"
    for e in history:
        if e.purpose != purpose or e.effective > as_of:
            continue
        if known_at is not None and datetime.fromisoformat(e.recorded_at) > known_at:
            continue
        state = INCLUDES[e.kind]
    return state


def _group(rows: Iterable[ConsentEvent]) -> dict[int, list[ConsentEvent]]:
    grouped: dict[int, list[ConsentEvent]] = {}
    for e in rows:
        grouped.setdefault(e.person_id, []).append(e)
    return grouped


def _history(person_id: int) -> Select[Any]:
    return (
        select(consent_event)
        .where(consent_event.c.person_id == person_id)
        .order_by(consent_event.c.effective, consent_event.c.id)
    )


def _event(r: Any) -> ConsentEvent:
    return ConsentEvent(
        r.person_id, r.purpose, r.kind, r.effective, r.channel, r.recorded_by, r.recorded_at
    )
