"""Checks on what a mapper produced, before anything is staged: text must be printable.

A control character (NUL, escape sequences, other C0/C1 codes) in a code or a
value is a sign of a broken or hostile producer: it can truncate strings in
other tools or rewrite a terminal. The resource is quarantined with a reason
that names the column and the rule, never the value.
"""

from __future__ import annotations

import re
from functools import cache

import pyarrow as pa

from socle.ingest.errors import MappingError
from socle.ingest.fhir import Coding
from socle.ingest.mappers import Mapped
from socle.warehouse import CDM

CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
RULE = "control characters (U+0000-U+001F, U+007F-U+009F) are refused"


def reject_control_characters(mapped: Mapped) -> None:
    """Raise :class:`MappingError` naming the first ``table.column`` holding a control character.

    Every text of the resource's rows is searched at once (one regular-expression pass over
    them joined by a space); only a resource with a hit is searched row by row and column by
    column, to name the column (a CDM table's text columns: only they are stored).
    """
    texts = [v for _, row in mapped.rows for v in row.values() if isinstance(v, str)]
    if not texts or not CONTROL.search(" ".join(texts)):
        return
    for table, row in mapped.rows:
        for column in _text_columns(table) if table in CDM else list(row):
            value = row.get(column)
            if isinstance(value, str) and CONTROL.search(value):
                raise MappingError(f"{table}.{column} contains a control character: {RULE}")


@cache
def _text_columns(table: str) -> tuple[str, ...]:
    """A CDM table's text columns (only they are stored, so only they are checked)."""
    return tuple(c for c, t in CDM[table].items() if pa.types.is_string(t))


def printable(coding: Coding) -> bool:
    """Whether a coding may enter the source-code dictionary."""
    return not any(CONTROL.search(part) for part in coding)
