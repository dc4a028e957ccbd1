"""Vigilance: alerts on published tools whose evidence is stale, whose monitoring shows
drift or rising overrides, whose regulatory status changed or that report incidents.

Pure: computed from the published versions and the live snapshots with the thresholds
of the current scoring method (``[vigilance]``), so alerts are as reproducible as ranks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from socle.observatory.model import EntryData, LiveFigures, ToolData
from socle.observatory.scoring import Method


@dataclass(frozen=True)
class Alert:
    entry_id: str
    name: str
    kind: (
        str  # stale_evidence, drift, overrides_high, overrides_rising, regulatory_change, incident
    )
    message: str


def alerts(
    method: Method,
    pairs: Mapping[str, tuple[EntryData | None, EntryData]],
    live: Mapping[str, Sequence[LiveFigures]],
    today: date,
) -> list[Alert]:
    """Every alert, entry by entry (sorted by kind, then name)."""
    v = method.vigilance
    found: list[Alert] = []
    for entry_id, (before, now) in pairs.items():
        if not isinstance(now, ToolData):
            continue
        found += _evidence(entry_id, now, today, int(v.get("stale_after_years", 3)))
        if isinstance(before, ToolData):
            found += _changes(entry_id, before, now)
        found += _monitoring(entry_id, now.name, live.get(entry_id, ()), v,
                             int(method.rules.get("min_decisions", 20)))  # fmt: skip
    return sorted(found, key=lambda a: (a.kind, a.name, a.entry_id))


def _evidence(entry_id: str, tool: ToolData, today: date, years: int) -> list[Alert]:
    if not tool.evidence:
        return []
    newest = max(s.year for s in tool.evidence)
    if today.year - newest <= years:
        return []
    return [Alert(entry_id, tool.name, "stale_evidence",
                  f"newest study from {newest}, more than {years} years old")]  # fmt: skip


def _changes(entry_id: str, before: ToolData, now: ToolData) -> list[Alert]:
    found = []
    if before.device != now.device:
        found.append(Alert(entry_id, now.name, "regulatory_change",
                           f"regulatory status {before.device.regulatory_status} → "
                           f"{now.device.regulatory_status}"
                           + ("" if before.device.fda == now.device.fda else "; FDA record changed")))  # fmt: skip
    new = [i for i in now.incidents if i not in before.incidents]
    found += [Alert(entry_id, now.name, "incident", f"{i.severity} incident on {i.on}")
              for i in new]  # fmt: skip
    return found


def _monitoring(
    entry_id: str, name: str, history: Sequence[LiveFigures], v: Mapping[str, object],
    min_decisions: int,
) -> list[Alert]:  # fmt: skip
    if not history:
        return []
    latest, found = history[-1], []
    drift = int(str(v.get("drift_alerts", 1)))
    if latest.drift_alerts is not None and latest.drift_alerts >= drift:
        found.append(Alert(entry_id, name, "drift", f"{latest.drift_alerts} drift alert(s)"))
    if latest.suspended:
        found.append(Alert(entry_id, name, "suspended", "suspended by the human-guarantee college"))
    rate = latest.override_rate
    if rate is None or (latest.decided or 0) < min_decisions:
        return found
    if rate >= float(str(v.get("override_alert_rate", 0.3))):
        found.append(Alert(entry_id, name, "overrides_high",
                           f"override rate {rate:.0%} over {latest.decided} decisions"))  # fmt: skip
    earlier = [
        h for h in history[:-1] if h.override_rate is not None and (h.decided or 0) >= min_decisions
    ]
    if earlier:
        rise = rate - (earlier[-1].override_rate or 0.0)
        if rise >= float(str(v.get("override_rise", 0.1))):
            found.append(Alert(entry_id, name, "overrides_rising",
                               f"override rate up {rise:.0%} since {earlier[-1].taken_at[:10]}"))  # fmt: skip
    return found
