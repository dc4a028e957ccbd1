"""The load: read → map → write in batches, quarantining what cannot be mapped.

Counts always reconcile per resource type: read = loaded + quarantined + skipped.
The whole load is one warehouse transaction, so an interrupted load leaves
the warehouse as it was, and ids are keyed pseudonyms of source ids, so a
re-run upserts the same rows instead of adding duplicates.
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from socle.ingest.context import MappingContext
from socle.ingest.errors import MappingError
from socle.ingest.mappers import Mapped, load_all
from socle.ingest.r4 import SKIPPED_TYPES
from socle.ingest.reader import input_files, read_file
from socle.privacy import IdentityVault, Pseudonymizer
from socle.warehouse import BatchWriter, Warehouse


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


class _Batch:
    """Rows waiting to be written, flushed when ``limit`` rows are pending."""

    def __init__(self, writer: BatchWriter, vault: IdentityVault, limit: int) -> None:
        self.writer, self.vault, self.limit = writer, vault, limit
        self.rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.counts: Counter[str] = Counter()
        self.identities: list[tuple[str, str, dict[str, Any]]] = []
        self.pending = 0

    def add(self, mapped: Mapped) -> None:
        for table, row in mapped.rows:
            self.rows[table].append(row)
            self.counts[table] += 1
        if mapped.identity:
            self.identities.append(mapped.identity)
        self.pending += len(mapped.rows)
        if self.pending >= self.limit:
            self.flush()

    def flush(self) -> None:
        self.vault.put_many(self.identities)
        for table, rows in self.rows.items():
            self.writer.write(table, rows)
        self.rows.clear()
        self.identities.clear()
        self.pending = 0


def ingest(
    path: Path,
    warehouse: Warehouse,
    pseudo: Pseudonymizer,
    vault: IdentityVault,
    *,
    batch_rows: int = 50_000,
    on_file: Callable[[Path, int], None] | None = None,
) -> LoadSummary:
    """Load every FHIR file under ``path`` in one transaction; return the reconciled summary."""
    files = input_files(path)
    summary = LoadSummary(load_id=uuid.uuid4().hex[:12], files=len(files))
    mappers = load_all()
    started = datetime.now(UTC).replace(tzinfo=None)
    persons: set[int] = set()
    with warehouse.loading() as writer:
        batch = _Batch(writer, vault, batch_rows)
        for file in files:
            items = list(read_file(file))
            ctx = MappingContext(
                pseudo,
                {i.resource["id"]: i.resource for i in items if i.resource and i.error is None},
            )
            file_token = "file-" + pseudo.token("file", str(file.resolve()))[:12]
            for item in items:
                kind = item.resource_type
                summary.read[kind] += 1
                reason = item.error
                if reason is None and kind in mappers:
                    try:
                        mapped = mappers[kind](item.resource or {}, ctx)
                    except MappingError as exc:
                        reason = exc.message
                    except (AttributeError, TypeError, ValueError, KeyError, IndexError) as exc:
                        # A field of the wrong JSON shape: quarantine, naming the error type
                        # only (its message may quote patient data).
                        reason = (
                            f"not FHIR R4: a field has the wrong structure ({type(exc).__name__})"
                        )
                    else:
                        batch.add(mapped)
                        summary.loaded[kind] += 1
                        if kind == "Patient":
                            persons.add(mapped.rows[0][1]["person_id"])
                        continue
                elif reason is None and kind in SKIPPED_TYPES:
                    summary.skipped[kind] += 1
                    continue
                elif reason is None:
                    reason = f"'{kind[:40]}' is not a FHIR R4 resource type Socle can load"
                summary.quarantined[kind] += 1
                summary.quarantine.append(
                    QuarantinedRecord(str(file), file_token, item.position, kind, reason)
                )
            writer.write(
                "source_code",
                [{"vocabulary_id": v, "code": c, "display": d} for v, c, d in ctx.codings],
            )
            if on_file:
                on_file(file, len(items))
        batch.flush()
        summary.rows.update(batch.counts)
        writer.write(
            "quarantine",
            [
                {
                    "load_id": summary.load_id,
                    "file": q.file_token,
                    "position": q.position,
                    "resource_type": q.resource_type,
                    "reason": q.reason,
                }
                for q in summary.quarantine
            ],
        )
        t = summary.totals()
        writer.write(
            "load_log",
            [
                {
                    "load_id": summary.load_id,
                    "started_at": started,
                    "finished_at": datetime.now(UTC).replace(tzinfo=None),
                    "files": summary.files,
                    **t,
                }
            ],
        )
    summary.persons = len(persons)
    return summary
