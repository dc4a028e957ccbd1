"""Notes: clinical text de-identified (Presidio) before it reaches the CDM's note tables."""

from socle.notes.deidentify import Deidentified, Entity, deidentify, find
from socle.notes.engine import FRENCH_MODEL, analyzer
from socle.notes.errors import NoteRejected, NotesError
from socle.notes.known import KnownTerms
from socle.notes.language import detect as detect_language
from socle.notes.lines import prescan
from socle.notes.preview import write_preview
from socle.notes.sources import DIRECTORY_TYPES, Directory, patient_terms
from socle.notes.surrogates import SURROGATE, parse_date
from socle.notes.text import DEFAULT_MAX_CHARS, NoteText, note_text

__all__ = [
    "DEFAULT_MAX_CHARS",
    "DIRECTORY_TYPES",
    "FRENCH_MODEL",
    "SURROGATE",
    "Deidentified",
    "Directory",
    "Entity",
    "KnownTerms",
    "NoteRejected",
    "NoteText",
    "NotesError",
    "analyzer",
    "deidentify",
    "detect_language",
    "find",
    "note_text",
    "parse_date",
    "patient_terms",
    "prescan",
    "write_preview",
]
