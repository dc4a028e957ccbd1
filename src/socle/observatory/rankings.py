"""The Top 10 per category: adopted method versions, rankings as of a date, recorded digests.

A method becomes the current one only through :meth:`Rankings.adopt` — a recorded,
audited decision with its reason; older versions stay stored, so a ranking is recomputed
from (category, method version, as-of time) alone: the entries as published then, and
the live figures known then.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError

from socle.audit import AuditLog
from socle.observatory.errors import MethodError
from socle.observatory.live import LiveEvidence
from socle.observatory.model import ToolData
from socle.observatory.registry import Registry
from socle.observatory.scoring import Method, Ranking, packaged_method_text, parse_method, rank
from socle.observatory.tables import method, ranking_record


@dataclass(frozen=True)
class AdoptedMethod:
    method: Method
    adopted_by: str
    adopted_role: str
    adopted_at: str
    reason: str


def as_of_time(value: str | date | datetime | None) -> str:
    """A comparable UTC timestamp: now, the end of a given day, or a given moment."""
    if value is None:
        return datetime.now(UTC).isoformat(timespec="seconds")
    text = str(value)
    try:
        if isinstance(value, str):
            value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
        if not isinstance(value, datetime):
            value = datetime(value.year, value.month, value.day, 23, 59, 59, tzinfo=UTC)
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).isoformat(timespec="seconds")
    except (ValueError, OverflowError):
        raise MethodError(f"'{text}' is not a usable date or time; use YYYY-MM-DD") from None


class Rankings:
    def __init__(self, engine: Engine, audit: AuditLog, registry: Registry, live: LiveEvidence):
        self.engine, self.audit, self.registry, self.live = engine, audit, registry, live

    def adopt(self, text: str, *, actor: str, role: str, reason: str) -> AdoptedMethod:
        """Adopt a new method version (the next number), with the reason for the change."""
        if not reason.strip():
            raise MethodError("say why the method changes (reason): it is published with it")
        new = parse_method(text)
        at = datetime.now(UTC).isoformat(timespec="seconds")
        with self.engine.begin() as conn:
            latest = conn.execute(select(func.max(method.c.version))).scalar() or 0
            if new.version != latest + 1:
                raise MethodError(
                    f"the method file says version {new.version}; the next version is {latest + 1}"
                )
            conn.execute(method.insert().values(
                version=new.version, text=text, digest=new.digest, adopted_by=actor,
                adopted_role=role, adopted_at=at, reason=reason,
            ))  # fmt: skip
            self.audit.append(
                conn, actor=actor, role=role, action="observatory.method_adopt",
                object=f"method v{new.version}",
                details={"digest": new.digest, "reason": reason, "previous": latest},
            )  # fmt: skip
        return AdoptedMethod(new, actor, role, at, reason)

    def ensure_method(self, *, actor: str, role: str) -> AdoptedMethod:
        """The current method; on a new node, adopt the published method 1 (recorded)."""
        if not self.methods():
            return self.adopt(packaged_method_text(1), actor=actor, role=role,
                              reason="initial published method")  # fmt: skip
        return self.methods()[-1]

    def methods(self) -> list[AdoptedMethod]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(method).order_by(method.c.version)).all()
        return [
            AdoptedMethod(
                parse_method(r.text), r.adopted_by, r.adopted_role, r.adopted_at, r.reason
            )
            for r in rows
        ]

    def method(self, version: int | None = None) -> AdoptedMethod:
        adopted = self.methods()
        if not adopted:
            raise MethodError("no scoring method adopted yet: run `socle observatory method init`")
        if version is None:
            return adopted[-1]
        for a in adopted:
            if a.method.version == version:
                return a
        raise MethodError(f"no scoring method version {version}; adopted: 1 to {len(adopted)}")

    def top(
        self, category: str, *, method_version: int | None = None,
        as_of: str | date | datetime | None = None,
    ) -> Ranking:  # fmt: skip
        """The Top N of ``category`` by a method version, from entries as published at ``as_of``."""
        m = self.method(method_version).method
        when = as_of_time(as_of)
        published = self.registry.published_entries(kind="tool", category=category, as_of=when)
        live = self.live.figures([p.id for p in published], as_of=when)
        rows = [(p.id, p.data, live.get(p.id)) for p in published if isinstance(p.data, ToolData)]
        return rank(m, category, when, rows)

    def record(self, ranking: Ranking, *, actor: str, role: str) -> str:
        """Record (and audit) the digest of a published ranking, so it can be re-verified."""
        at = datetime.now(UTC).isoformat(timespec="seconds")
        try:
            with self.engine.begin() as conn:
                conn.execute(ranking_record.insert().values(
                    category=ranking.category, method_version=ranking.method_version,
                    as_of=ranking.as_of, digest=ranking.digest, recorded_by=actor, recorded_at=at,
                ))  # fmt: skip
                self.audit.append(
                    conn, actor=actor, role=role, action="observatory.ranking_record",
                    object=f"top {ranking.category}",
                    details={"method": ranking.method_version, "as_of": ranking.as_of,
                             "digest": ranking.digest, "ranked": len(ranking.ranked)},
                )  # fmt: skip
        except IntegrityError:
            raise MethodError(
                f"a ranking of {ranking.category} by method {ranking.method_version} as of "
                f"{ranking.as_of} is already recorded"
            ) from None
        return ranking.digest

    def verify_recorded(self) -> list[tuple[str, int, str, bool]]:
        """Recompute every recorded ranking: (category, method, as_of, digest still equal)."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(ranking_record).order_by(ranking_record.c.id)).all()
        return [
            (r.category, r.method_version, r.as_of,
             self.top(r.category, method_version=r.method_version, as_of=r.as_of).digest == r.digest)
            for r in rows
        ]  # fmt: skip
