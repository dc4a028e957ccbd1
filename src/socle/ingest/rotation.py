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

from socle.ingest.context import MappingContext
from socle.ingest.errors import MappingError
from socle.ingest.mappers import load_all
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


def _replay(files: list[Path], recorder: _Recorder) -> None:
    """Map every input resource again, so the recorder sees every id it produces."""
    mappers = load_all()
    for file in files:
        items = [i for i in read_file(file) if i.resource is not None and i.error is None]
        ctx = MappingContext(recorder, {i.resource["id"]: i.resource for i in items if i.resource})
        for item in items:
            mapper = mappers.get(item.resource_type)
            if mapper is None or item.resource is None:
                continue
            try:
                mapper(item.resource, ctx)
            except (MappingError, AttributeError, TypeError, ValueError, KeyError, IndexError):
                continue  # was quarantined at load: it has no row to re-key


def rotate_pseudonym_key(
    key_path: Path,
    sources: list[Path],
    warehouse: Warehouse,
    vault: IdentityVault,
    old: Pseudonymizer,
) -> tuple[RotationSummary, Pseudonymizer]:
    """Re-key the warehouse and the vault to a fresh key written at ``key_path``."""
    files = [f for source in sources for f in input_files(source)]
    next_path, key = create_next_key(key_path)
    try:
        new = Pseudonymizer(key)
        recorder = _Recorder(old, new)
        _replay(files, recorder)
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
