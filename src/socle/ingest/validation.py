"""Checks on what a mapper produced, before anything is staged: text must be printable.

A control character (NUL, escape sequences, other C0/C1 codes) in a code or a
value is a sign of a broken or hostile producer: it can truncate strings in
other tools or rewrite a terminal. The resource is quarantined with a reason
that names the column and the rule, never the value.
"""

from __future__ import annotations

import re

from socle.ingest.errors import MappingError
from socle.ingest.fhir import Coding
from socle.ingest.mappers import Mapped

CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
RULE = "control characters (U+0000-U+001F, U+007F-U+009F) are refused"


def reject_control_characters(mapped: Mapped) -> None:
    """Raise :class:`MappingError` naming the first ``table.column`` holding a control character."""
    for table, row in mapped.rows:
        for column, value in row.items():
            if isinstance(value, str) and CONTROL.search(value):
                raise MappingError(f"{table}.{column} contains a control character: {RULE}")


def printable(coding: Coding) -> bool:
    """Whether a coding may enter the source-code dictionary."""
    return not any(CONTROL.search(part) for part in coding)
