"""The load: read → map → write in batches, quarantining what cannot be mapped.

Counts always reconcile per resource type: read = loaded + quarantined + skipped.
The whole load is one warehouse transaction, so an interrupted load leaves
the warehouse as it was, and ids are keyed pseudonyms of source ids, so a
re-run upserts the same rows instead of adding duplicates.
"""

from __future__ import annotations

import gc
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from socle.ingest.batch import Batch
from socle.ingest.context import MappingContext
from socle.ingest.dates import DateGate
from socle.ingest.errors import MappingError, UnresolvedReferenceError
from socle.ingest.mappers import Mapped, Mapper, load_all
from socle.ingest.mappers.note import carries_note
from socle.ingest.note_intake import HeldNote, NoteIntake
from socle.ingest.r4 import SKIPPED_TYPES
from socle.ingest.reader import ReadLimits, SourceItem, input_files, read_file
from socle.ingest.summary import LoadSummary, QuarantinedRecord
from socle.ingest.validation import printable, reject_control_characters
from socle.privacy import DateShift, IdentityVault, Pseudonymizer
from socle.warehouse import LedgerEntry, Warehouse

ORPHAN = "subject/patient reference: the patient is neither in this load nor in the warehouse"
DUPLICATE = (
    "duplicate: a resource of the same type and id was read first in this load; "
    "the first read is kept"
)


def _map(
    item: SourceItem, kind: str, mappers: dict[str, Mapper], ctx: MappingContext, gate: DateGate
) -> Mapped | UnresolvedReferenceError | str:
    """The rows of one resource of type ``kind`` (:func:`_kind`), dates shifted by its
    patient's offset, or why it cannot load."""
    if item.error is not None:
        return item.error
    mapper = mappers.get(kind)
    if mapper is None:
        return "resourceType is not a FHIR R4 resource type Socle can load"
    resource = item.resource or {}
    try:
        mapped = mapper(resource, ctx)
        reject_control_characters(mapped)
        gate.shift(mapped, resource)
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
    notes: NoteIntake | None = None,
) -> LoadSummary:
    """Load every FHIR file under ``path`` in one transaction; return the reconciled summary.

    Every date is shifted by its patient's ``dates`` offset before it is staged; files are
    read within ``limits`` (size per file, memory), and never through a link out of ``path``.
    Clinical notes are held by ``notes`` and de-identified at the end of the load.

    Python's cyclic garbage collector is paused during the load: parsed bundles
    allocate millions of short-lived, acyclic objects that reference counting
    frees, and the collector's passes over them took a third of the load time.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _ingest(
            path, warehouse, pseudo, vault, dates, limits or ReadLimits(), batch_rows, on_file,
            notes or NoteIntake(pseudo, vault, dates),
        )  # fmt: skip
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
    notes: NoteIntake,
) -> LoadSummary:
    files = input_files(path)
    summary = LoadSummary(load_id=uuid.uuid4().hex[:12], files=len(files))
    mappers = load_all()
    started = datetime.now(UTC).replace(tzinfo=None)
    persons: set[int] = set()
    shared: dict[str, dict[str, Any]] = {}  # Medications (their code only), for later resources
    deferred: list[tuple[Path, str, SourceItem]] = []
    codings: set[tuple[str, str, str]] = set()  # the load's source codes, written once

    names: dict[str, Path] = {}  # file token → path, for the steward's quarantine list

    def accept(file: Path, token: str, item: SourceItem, kind: str, mapped: Mapped) -> None:
        resource = item.resource or {}
        if kind == "Patient":
            person_id = mapped.rows[0][1]["person_id"]
            if person_id in persons:  # the first read is kept, in the vault too
                reject(file, token, item, kind, DUPLICATE)
                return
            persons.add(person_id)
        key = pseudo.id(kind, str(resource.get("id")))
        if mapped.note is not None:  # its text is de-identified at the end of the load
            notes.hold(HeldNote(file, token, item, kind, key, mapped))
            return
        batch.add(mapped, kind, key, token, item.position)
        summary.loaded[kind] += 1

    def reject(file: Path, token: str, item: SourceItem, kind: str, reason: str) -> None:
        summary.quarantine_record(QuarantinedRecord(str(file), token, item.position, kind, reason))

    def take_back(entries: list[LedgerEntry], removed: dict[str, int], reason: str) -> None:
        for e in entries:
            file = names[e.file]
            summary.take_back(
                QuarantinedRecord(str(file), e.file, e.position, e.resource_type, reason)
            )
        summary.rows.subtract(removed)

    gate = DateGate(dates)
    with warehouse.loading() as writer:
        batch = Batch(writer, vault, batch_rows)
        for file in files:
            ctx = MappingContext(pseudo, shared=shared, codings=codings)
            file_token = "file-" + pseudo.token("file", str(file.resolve()))[:12]
            names[file_token] = file
            count = 0
            for item in read_file(file, limits, root=path):
                count += 1
                kind = _kind(item, mappers)
                summary.read[kind] += 1
                if item.error is None:
                    if kind == "Medication" and item.resource:
                        shared[item.resource["id"]] = {"code": item.resource.get("code")}
                    notes.observe(item)
                    if kind in SKIPPED_TYPES and not carries_note(item.resource):
                        summary.skipped[kind] += 1
                        continue
                result = _map(item, kind, mappers, ctx, gate)
                if isinstance(result, Mapped):
                    accept(file, file_token, item, kind, result)
                elif isinstance(result, UnresolvedReferenceError):
                    deferred.append((file, file_token, item))  # its target may come later
                else:
                    reject(file, file_token, item, kind, result)
            if on_file:
                on_file(file, count)
        late = MappingContext(pseudo, shared=shared, codings=codings)
        for file, file_token, item in deferred:
            kind = _kind(item, mappers)
            result = _map(item, kind, mappers, late, gate)
            if isinstance(result, Mapped):
                accept(file, file_token, item, kind, result)
            else:
                reject(file, file_token, item, kind, str(result))
        writer.write("source_code", _source_codes(codings))
        batch.flush()  # the vault now holds this load's patients, which the notes need
        for held, outcome in notes.finish():
            if isinstance(outcome, Mapped):
                batch.add(outcome, held.kind, held.key, held.token, held.item.position)
                summary.loaded[held.kind] += 1
            elif outcome is None:
                summary.skipped[held.kind] += 1
            else:
                reject(held.file, held.token, held.item, held.kind, outcome)
        batch.flush()
        summary.rows.update(batch.counts)
        take_back(*writer.remove_orphans(), ORPHAN)
        take_back(*writer.remove_duplicates(), DUPLICATE)
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
