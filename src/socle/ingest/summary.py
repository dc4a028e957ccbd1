"""What a load reports: counts per resource type that reconcile, and the quarantine."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass(frozen=True)
class QuarantinedRecord:
    """A resource that was not loaded, and why. ``file`` stays with the steward, not the warehouse."""

    file: str
    file_token: str
    position: int
    resource_type: str
    reason: str


@dataclass
class LoadSummary:
    load_id: str
    files: int = 0
    read: Counter[str] = field(default_factory=Counter)
    loaded: Counter[str] = field(default_factory=Counter)
    quarantined: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    rows: Counter[str] = field(default_factory=Counter)
    quarantine: list[QuarantinedRecord] = field(default_factory=list)
    persons: int = 0

    def totals(self) -> dict[str, int]:
        return {
            "read": sum(self.read.values()),
            "loaded": sum(self.loaded.values()),
            "quarantined": sum(self.quarantined.values()),
            "skipped": sum(self.skipped.values()),
        }

    def reconciles(self) -> bool:
        t = self.totals()
        return t["read"] == t["loaded"] + t["quarantined"] + t["skipped"]

    def quarantine_record(self, record: QuarantinedRecord) -> None:
        self.quarantined[record.resource_type] += 1
        self.quarantine.append(record)

    def take_back(self, record: QuarantinedRecord) -> None:
        """A resource counted as loaded is quarantined after all (found at the end of the load)."""
        self.loaded[record.resource_type] -= 1
        self.quarantine_record(record)
