"""The consent registry: append-only events, current state derived from history.

Events are never updated or deleted. The state of a patient for a purpose at
a date is the purpose's default (opt-out: included; opt-in: excluded),
changed by each event whose effective date is on or before that date, in
order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Literal

from sqlalchemy import BigInteger, Column, Date, Engine, Integer, String, Table, select

from socle.audit import AuditLog
from socle.consent.errors import ConsentError
from socle.consent.purposes import Taxonomy
from socle.store import metadata
from socle.warehouse import PersonFilter

Kind = Literal["objection", "withdraw_objection", "opt_in", "withdraw_opt_in"]
Channel = Literal["portal", "paper_form", "fhir_import", "registry_sync"]
INCLUDES: dict[str, bool] = {
    "objection": False,
    "withdraw_objection": True,
    "opt_in": True,
    "withdraw_opt_in": False,
}

consent_event = Table(
    "consent_event",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("person_id", BigInteger, nullable=False, index=True),
    Column("purpose", String(60), nullable=False, index=True),
    Column("kind", String(30), nullable=False),
    Column("effective", Date, nullable=False),
    Column("recorded_at", String(40), nullable=False),
    Column("channel", String(30), nullable=False),
    Column("recorded_by", String(200), nullable=False),
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


class ConsentRegistry:
    """Records consent events and derives who may be read for a purpose."""

    def __init__(self, engine: Engine, audit: AuditLog, taxonomy: Taxonomy) -> None:
        self.engine, self.audit, self.taxonomy = engine, audit, taxonomy

    def record(self, events: list[ConsentEvent], *, actor: str, role: str) -> int:
        """Append events in one transaction (all or none), each checked first."""
        today = datetime.now(UTC).date()
        for e in events:
            self.taxonomy.get(e.purpose)
            if e.kind not in INCLUDES:
                raise ConsentError(f"unknown consent event kind '{e.kind}'")
            if e.effective > today and e.kind in ("withdraw_objection", "withdraw_opt_in"):
                raise ConsentError(
                    f"a withdrawal for person {e.person_id} cannot take effect in the future "
                    f"({e.effective})"
                )
        now = datetime.now(UTC).isoformat(timespec="seconds")
        with self.engine.begin() as conn:
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
                    for e in events
                ],
            )
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
                    "persons": len({e.person_id for e in events}),
                },
            )
        return len(events)

    def history(self, person_id: int) -> list[ConsentEvent]:
        """Every event of one person, in the order they take effect."""
        query = (
            select(consent_event)
            .where(consent_event.c.person_id == person_id)
            .order_by(consent_event.c.effective, consent_event.c.id)
        )
        with self.engine.connect() as conn:
            return [
                ConsentEvent(
                    r.person_id, r.purpose, r.kind, r.effective, r.channel, r.recorded_by,
                    r.recorded_at,
                )
                for r in conn.execute(query)
            ]  # fmt: skip

    def state(self, person_id: int, purpose: str, as_of: date) -> bool:
        """Whether the person's data may be used for ``purpose`` on ``as_of``."""
        included = self.taxonomy.get(purpose).rule == "opt-out"
        for e in self.history(person_id):
            if e.purpose == purpose and e.effective <= as_of:
                included = INCLUDES[e.kind]
        return included

    def person_filter(self, purpose: str, as_of: date) -> PersonFilter:
        """The filter every purposeful read goes through (see :mod:`socle.warehouse.scope`)."""
        rule = self.taxonomy.get(purpose).rule
        query = (
            select(consent_event.c.person_id, consent_event.c.kind)
            .where(consent_event.c.purpose == purpose, consent_event.c.effective <= as_of)
            .order_by(consent_event.c.effective, consent_event.c.id)
        )
        latest: dict[int, bool] = {}
        with self.engine.connect() as conn:
            for person_id, kind in conn.execute(query):
                latest[person_id] = INCLUDES[kind]
        if rule == "opt-out":
            excluded = frozenset(p for p, inc in latest.items() if not inc)
            return PersonFilter(purpose, as_of, excluded_person_ids=excluded)
        included = frozenset(p for p, inc in latest.items() if inc)
        return PersonFilter(purpose, as_of, included_only=included)
