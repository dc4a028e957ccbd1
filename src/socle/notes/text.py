"""The text of a note: inline attachments decoded, checked for size, encoding and characters.

Only inline text is read (``Attachment.data`` in base64, or ``text/*`` content
given as is): a URL is never followed. Anything that cannot be read as text
is refused with a reason naming the rule, so the note is quarantined and
nothing unprocessed reaches the warehouse.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import Any

from socle.notes.errors import NoteRejected

DEFAULT_MAX_CHARS = 100_000
# C0/C1 control characters other than tab, line feed and carriage return.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_CHARSET = re.compile(r"charset\s*=\s*\"?([A-Za-z0-9_.:-]+)", re.IGNORECASE)


@dataclass(frozen=True)
class NoteText:
    """The raw text of one note and the language its attachment declares (``None``: unknown)."""

    text: str
    language: str | None = None


def _charset(content_type: str) -> str:
    match = _CHARSET.search(content_type)
    return match.group(1).lower() if match else "utf-8"


def _decode(attachment: dict[str, Any], field: str) -> str:
    content_type = str(attachment.get("contentType") or "text/plain")
    if not content_type.lower().startswith("text/"):
        raise NoteRejected(f"{field}.contentType is not text/* (only text notes are read)")
    data = attachment.get("data")
    if not isinstance(data, str) or not data:
        raise NoteRejected(f"{field} has no inline data (a url is never followed)")
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise NoteRejected(f"{field}.data is not valid base64") from exc
    charset = _charset(content_type)
    try:
        return raw.decode(charset)
    except LookupError as exc:
        raise NoteRejected(f"{field}.contentType names an unknown charset") from exc
    except UnicodeDecodeError as exc:
        raise NoteRejected(f"{field}.data is not valid {charset} text (encoding)") from exc


def note_text(attachments: list[Any], field: str, max_chars: int = DEFAULT_MAX_CHARS) -> NoteText:
    """The text of a note's attachments (joined by a blank line), or :class:`NoteRejected`."""
    parts: list[str] = []
    language: str | None = None
    for i, attachment in enumerate(attachments):
        where = f"{field}[{i}]"
        if not isinstance(attachment, dict):
            raise NoteRejected(f"{where} is not an Attachment")
        parts.append(_decode(attachment, where))
        declared = attachment.get("language")
        if isinstance(declared, str) and declared:
            language = declared.split("-", 1)[0].lower()
    if not parts:
        raise NoteRejected(f"{field} holds no attachment")
    text = "\n\n".join(parts)
    if len(text) > max_chars:
        raise NoteRejected(
            f"{field}: the text is longer than the limit of {max_chars} characters "
            "(SOCLE_NOTES_MAX_CHARS)"
        )
    if CONTROL.search(text):
        raise NoteRejected(f"{field}: the text contains a control character (refused)")
    return NoteText(text, language)
