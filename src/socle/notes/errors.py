"""Errors of the notes context."""

from socle.errors import SocleError


class NotesError(SocleError):
    """Base of clinical-notes errors."""


class NoteRejected(NotesError):
    """A note cannot be de-identified safely; it is quarantined with this reason.

    The reason names the field and the rule, never a word of the note.
    """
