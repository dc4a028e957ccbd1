"""Statistical disclosure control on aggregate outputs before release.

Rules applied to every count that leaves a workspace (a release cell, a
catalogue count, a model's persons, rows and events): a count below the
threshold (default 10, zero included) is suppressed (released as ``None``
and flagged), and every other count is rounded to the nearest multiple of
the rounding base (default 5) so that differencing two releases cannot
recover a suppressed cell exactly. :func:`disclose_count` is the one
implementation; tables and single figures both go through it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class CheckedTable:
    """An aggregate table that passed output checking and may leave the workspace."""

    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    suppressed_cells: int
    threshold: int
    rounding_base: int


def disclose_count(value: int | None, threshold: int = 10, rounding_base: int = 5) -> int | None:
    """The releasable form of one count: ``None`` below ``threshold``, else rounded."""
    if value is None or int(value) < threshold:
        return None
    return int(rounding_base * round(int(value) / rounding_base))


def check_aggregate(
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    count_columns: Sequence[str],
    threshold: int = 10,
    rounding_base: int = 5,
) -> CheckedTable:
    """Suppress small counts (zeros included) and round the others in ``count_columns``.

    A missing count (``None``) is a zero: an absent cell must not be told apart
    from a suppressed one.
    """
    index = [columns.index(c) for c in count_columns]
    out, suppressed = [], 0
    for row in rows:
        cells = list(row)
        for i in index:
            cells[i] = disclose_count(cells[i], threshold, rounding_base)
            suppressed += cells[i] is None
        out.append(tuple(cells))
    return CheckedTable(tuple(columns), tuple(out), suppressed, threshold, rounding_base)
