"""Pseudonym-key rotation: every id of the warehouse and the vault moves to a new key.

Ids are keyed HMACs of source ids, so moving them needs the source ids: for
patients they are in the encrypted vault; for clinical records (encounters,
conditions, ...) the warehouse keeps none, so the inputs that were loaded are
read and mapped again, recording for each id its old and new pseudonym. The
warehouse is re-keyed in one transaction that also holds the vault's re-key,
and only then does the new key replace the old one. A record the given inputs
do not explain aborts the rotation and nothing changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from socle.ingest.context import MappingContext
from socle.ingest.errors import MappingError, UnresolvedReferenceError
from socle.ingest.mappers import Mapper, load_all
from socle.ingest.note_intake import nlp_id
from socle.ingest.reader import input_files, read_file
from socle.privacy import (
    IdentityVault,
    Pseudonymizer,
    create_next_key,
    install_next_key,
)
from socle.warehouse import Warehouse


@dataclass(frozen=True)
class RotationSummary:
    files: int
    ids: int
    persons: int
    rows: dict[str, int]


class _Recorder(Pseudonymizer):
    """Answers with the old pseudonyms, remembering the new one of each."""

    def __init__(self, old: Pseudonymizer, new: Pseudonymizer) -> None:
        self.old, self.new = old, new
        self.ids: dict[int, int] = {}
        self.tokens: dict[str, str] = {}

    def id(self, kind: str, source_id: str) -> int:
        old = self.old.id(kind, source_id)
        self.ids[old] = self.new.id(kind, source_id)
        return old

    def token(self, kind: str, source_id: str) -> str:
        old = self.old.token(kind, source_id)
        self.tokens[old] = self.new.token(kind, source_id)
        return old


def _replay(files: list[tuple[Path, Path]], recorder: _Recorder) -> None:
    """Map every input resource again, so the recorder sees every id it produces."""
    mappers = load_all()
    shared: dict[str, dict[str, Any]] = {}
    deferred: list[dict[str, Any]] = []
    for root, file in files:
        ctx = MappingContext(recorder, shared=shared)
        for item in read_file(file, root=root):
            resource = item.resource
            if resource is None or item.error is not None:
                continue
            if resource["resourceType"] == "Medication":
                shared[resource["id"]] = {"code": resource.get("code")}
            if not _replayed(resource, mappers, ctx):
                deferred.append(resource)
    late = MappingContext(recorder, shared=shared)
    for resource in deferred:
        _replayed(resource, mappers, late)


def _replayed(resource: dict[str, Any], mappers: dict[str, Mapper], ctx: MappingContext) -> bool:
    """Map one resource for its ids; False if it waits for a reference of another file."""
    mapper = mappers.get(str(resource.get("resourceType")))
    if mapper is None:
        return True
    try:
        mapper(resource, ctx)
    except UnresolvedReferenceError:
        return False
    except (MappingError, AttributeError, TypeError, ValueError, KeyError, IndexError):
        pass  # was quarantined at load: it has no row to re-key
    return True


def _record_note_nlp(warehouse: Warehouse, recorder: _Recorder) -> None:
    """``note_nlp`` ids derive from their note's id and offset (no source record of their own)."""
    for note_id, offset in warehouse.aggregate('SELECT note_id, "offset" FROM note_nlp'):
        new_note = recorder.ids.get(int(note_id))
        if new_note is not None:
            old_id = nlp_id(recorder.old, int(note_id), int(offset))
            recorder.ids[old_id] = nlp_id(recorder.new, new_note, int(offset))


def rotate_pseudonym_key(
    key_path: Path,
    sources: list[Path],
    warehouse: Warehouse,
    vault: IdentityVault,
    old: Pseudonymizer,
) -> tuple[RotationSummary, Pseudonymizer]:
    """Re-key the warehouse and the vault to a fresh key written at ``key_path``."""
    files = [(source, f) for source in sources for f in input_files(source)]
    next_path, key = create_next_key(key_path)
    try:
        new = Pseudonymizer(key)
        recorder = _Recorder(old, new)
        _replay(files, recorder)
        _record_note_nlp(warehouse, recorder)
        source_ids = vault.source_ids()
        for pseudonym, source_id in source_ids.items():
            recorder.ids[old.id("Patient", source_id)] = new.id("Patient", source_id)
            recorder.tokens[pseudonym] = new.token("Patient", source_id)
        with warehouse.rekeying(recorder.ids, recorder.tokens) as rows:
            vault.rekey(new)
    except BaseException:
        next_path.unlink(missing_ok=True)
        raise
    install_next_key(key_path)
    return RotationSummary(len(files), len(recorder.ids), len(source_ids), rows), new
