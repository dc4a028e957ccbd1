"""Statistical disclosure control on aggregate outputs before release.

Rules applied to every count cell: a count below the threshold (default 10)
is suppressed (released as ``None`` and flagged), and every other count is
rounded to the nearest multiple of the rounding base (default 5) so that
differencing two releases cannot recover a suppressed cell exactly.
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


def check_aggregate(
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    count_columns: Sequence[str],
    threshold: int = 10,
    rounding_base: int = 5,
) -> CheckedTable:
    """Suppress small counts and round the others in ``count_columns``."""
    index = [columns.index(c) for c in count_columns]
    out, suppressed = [], 0
    for row in rows:
        cells = list(row)
        for i in index:
            value = cells[i]
            if value is None:
                continue
            if int(value) < threshold:
                cells[i] = None
                suppressed += 1
            else:
                cells[i] = int(rounding_base * round(int(value) / rounding_base))
        out.append(tuple(cells))
    return CheckedTable(tuple(columns), tuple(out), suppressed, threshold, rounding_base)
