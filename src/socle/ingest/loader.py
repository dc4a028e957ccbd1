"""The load: read → map → write in batches, quarantining what cannot be mapped.

Counts always reconcile per resource type: read = loaded + quarantined + skipped.
The whole load is one warehouse transaction, so an interrupted load leaves
the warehouse as it was, and ids are keyed pseudonyms of source ids, so a
re-run upserts the same rows instead of adding duplicates.
"""

from __future__ import annotations

import gc
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from socle.ingest.context import MappingContext
from socle.ingest.dates import shift_mapped
from socle.ingest.errors import MappingError, UnresolvedReferenceError
from socle.ingest.mappers import Mapped, Mapper, load_all
from socle.ingest.r4 import SKIPPED_TYPES
from socle.ingest.reader import ReadLimits, SourceItem, input_files, read_file
from socle.ingest.validation import printable, reject_control_characters
from socle.privacy import DateShift, IdentityVault, Pseudonymizer
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


def _map(
    item: SourceItem, mappers: dict[str, Mapper], ctx: MappingContext, dates: DateShift
) -> Mapped | UnresolvedReferenceError | str:
    """The rows of one resource (dates shifted by its patient's offset), or why it cannot load."""
    if item.error is not None:
        return item.error
    kind = item.resource_type
    if kind not in mappers:
        return "resourceType is not a FHIR R4 resource type Socle can load"
    resource = item.resource or {}
    try:
        mapped = mappers[kind](resource, ctx)
        reject_control_characters(mapped)
        shift_mapped(mapped, resource, dates)
        return mapped
    except UnresolvedReferenceError as exc:
        return exc
    except MappingError as exc:
        return exc.message
    except (AttributeError, TypeError, ValueError, KeyError, IndexError) as exc:
        # A field of the wrong JSON shape: name the error type only (its message may
        # quote patient data).
        return f"not FHIR R4: a field has the wrong structure ({type(exc).__name__})"


def _kind(item: SourceItem, mappers: dict[str, Mapper]) -> str:
    """The resource type for counts and quarantine: an input value only if it is a known type."""
    kind = item.resource_type
    known = kind in mappers or kind in SKIPPED_TYPES or kind in ("(unreadable)", "(none)")
    return kind if known else "(unknown type)"


def _source_codes(codings: set[tuple[str, str, str]]) -> list[dict[str, Any]]:
    """Rows of the source-code dictionary; names come from the vocabulary, never the input."""
    return [
        {"vocabulary_id": v, "code": c, "display": None}
        for v, c, d in codings
        if printable((v, c, d))
    ]


def ingest(
    path: Path,
    warehouse: Warehouse,
    pseudo: Pseudonymizer,
    vault: IdentityVault,
    *,
    dates: DateShift,
    limits: ReadLimits | None = None,
    batch_rows: int = 50_000,
    on_file: Callable[[Path, int], None] | None = None,
) -> LoadSummary:
    """Load every FHIR file under ``path`` in one transaction; return the reconciled summary.

    Every date is shifted by its patient's ``dates`` offset before it is staged; files are
    read within ``limits`` (size per file, memory), and never through a link out of ``path``.

    Python's cyclic garbage collector is paused during the load: parsed bundles
    allocate millions of short-lived, acyclic objects that reference counting
    frees, and the collector's passes over them took a third of the load time.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _ingest(
            path, warehouse, pseudo, vault, dates, limits or ReadLimits(), batch_rows, on_file
        )
    finally:
        if collecting:
            gc.enable()


def _ingest(
    path: Path,
    warehouse: Warehouse,
    pseudo: Pseudonymizer,
    vault: IdentityVault,
    dates: DateShift,
    limits: ReadLimits,
    batch_rows: int,
    on_file: Callable[[Path, int], None] | None,
) -> LoadSummary:
    files = input_files(path)
    summary = LoadSummary(load_id=uuid.uuid4().hex[:12], files=len(files))
    mappers = load_all()
    started = datetime.now(UTC).replace(tzinfo=None)
    persons: set[int] = set()
    shared: dict[str, dict[str, Any]] = {}  # Medications (their code only), for later resources
    deferred: list[tuple[Path, str, SourceItem]] = []

    def accept(item: SourceItem, mapped: Mapped) -> None:
        batch.add(mapped)
        summary.loaded[_kind(item, mappers)] += 1
        if item.resource_type == "Patient":
            persons.add(mapped.rows[0][1]["person_id"])

    def reject(file: Path, token: str, item: SourceItem, reason: str) -> None:
        kind = _kind(item, mappers)
        summary.quarantined[kind] += 1
        summary.quarantine.append(QuarantinedRecord(str(file), token, item.position, kind, reason))

    with warehouse.loading() as writer:
        batch = _Batch(writer, vault, batch_rows)
        for file in files:
            ctx = MappingContext(pseudo, shared=shared)
            file_token = "file-" + pseudo.token("file", str(file.resolve()))[:12]
            count = 0
            for item in read_file(file, limits, root=path):
                count += 1
                if item.resource and item.error is None and item.resource_type == "Medication":
                    shared[item.resource["id"]] = {"code": item.resource.get("code")}
                kind = _kind(item, mappers)
                summary.read[kind] += 1
                if item.error is None and kind in SKIPPED_TYPES:
                    summary.skipped[kind] += 1
                    continue
                result = _map(item, mappers, ctx, dates)
                if isinstance(result, Mapped):
                    accept(item, result)
                elif isinstance(result, UnresolvedReferenceError):
                    deferred.append((file, file_token, item))  # its target may come later
                else:
                    reject(file, file_token, item, result)
            writer.write("source_code", _source_codes(ctx.codings))
            if on_file:
                on_file(file, count)
        late = MappingContext(pseudo, shared=shared)
        for file, file_token, item in deferred:
            result = _map(item, mappers, late, dates)
            if isinstance(result, Mapped):
                accept(item, result)
            else:
                reject(file, file_token, item, str(result))
        writer.write("source_code", _source_codes(late.codings))
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
