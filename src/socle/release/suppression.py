"""Primary and secondary cell suppression, margins and rounding of a table before release.

A released count or sum table carries its margins (every line's total, and
the grand total), like ``pandas.crosstab(margins=True)``. A suppressed cell
could then be recovered as *total minus the other cells of its line*; so
every line along every axis must hide either no entry or at least two
(secondary, or complementary, suppression: the SDC handbook's §4.2.4 "hypercube"
idea in its simplest, line-by-line form). The complement chosen is the line's
smallest visible cell, which loses least information.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from socle.release.grid import FloatArray, Grid

TOTAL = "All"
BoolArray = NDArray[np.bool_]


@dataclass(frozen=True, eq=False)
class Suppressed:
    """The table as it may leave: margins added, cells hidden, counts rounded."""

    dims: tuple[str, ...]
    levels: tuple[tuple[str, ...], ...]  # each with TOTAL appended when margins are published
    values: FloatArray  # true values (stay inside the desk)
    counts: FloatArray  # true contributors per entry (stay inside the desk)
    released: NDArray[np.object_]  # what leaves: a rounded number, or None where suppressed
    primary: BoolArray
    secondary: BoolArray
    margins: bool

    @property
    def primary_cells(self) -> int:
        return int(self.primary.sum())

    @property
    def secondary_cells(self) -> int:
        return int(self.secondary.sum())

    def rows(self) -> list[tuple[Any, ...]]:
        """Long format: one row per entry, ``(*levels, released value)``."""
        out = []
        for index in np.ndindex(self.values.shape):
            labels = tuple(self.levels[a][k] for a, k in enumerate(index))
            out.append((*labels, self.released[index]))
        return out


def extend(array: FloatArray) -> FloatArray:
    """Append the total along every axis (all margins, down to the grand total)."""
    out = array
    for axis in range(array.ndim):
        out = np.concatenate([out, out.sum(axis=axis, keepdims=True)], axis=axis)
    return out


def _inner(shape: tuple[int, ...]) -> BoolArray:
    """True on entries that are cells, False on margins, of an extended array."""
    inner = np.ones(shape, dtype=bool)
    for axis, n in enumerate(shape):
        index: list[slice | int] = [slice(None)] * len(shape)
        index[axis] = n - 1
        inner[tuple(index)] = False
    return inner


def secondary_suppression(counts: FloatArray, primary: BoolArray) -> BoolArray:
    """Hide complementary entries until no line of the extended table hides exactly one.

    ``counts`` and ``primary`` are extended arrays (margins last on each axis).
    Returns the secondary mask (entries hidden only to protect others).
    """
    mask = primary.copy()
    inner = _inner(counts.shape)
    # Prefer hiding small inner cells; a margin only when its line has no visible cell.
    cost = np.where(inner, counts, counts + 1e15)
    changed = True
    while changed:
        changed = False
        for axis in range(counts.ndim):
            lonely = mask.sum(axis=axis, keepdims=True) == 1
            if not lonely.any():
                continue
            candidates = np.where(mask, np.inf, cost)
            pick = np.argmin(candidates, axis=axis, keepdims=True)
            best = np.take_along_axis(candidates, pick, axis=axis)
            chosen = lonely & np.isfinite(best)
            if chosen.any():
                current = np.take_along_axis(mask, pick, axis=axis)
                np.put_along_axis(mask, pick, current | chosen, axis=axis)
                changed = True
    return mask & ~primary


def round_to(values: FloatArray, base: int) -> FloatArray:
    return base * np.round(values / base)


def suppress(
    grid: Grid, primary_cells: BoolArray, *, round_base: int, threshold: int
) -> Suppressed:
    """Apply primary suppression (``primary_cells``), margins, secondary suppression, rounding."""
    additive = grid.statistic in ("count", "sum") and grid.margins
    if additive:
        values, counts = extend(grid.total), extend(grid.count)
        primary = np.zeros(values.shape, dtype=bool)
        primary[tuple(slice(0, n) for n in grid.shape)] = primary_cells
        # A margin is itself a cell: it is hidden when it counts too few persons.
        primary |= ~_inner(values.shape) & (counts < threshold)
        secondary = secondary_suppression(counts, primary)
        levels = tuple((*lv, TOTAL) for lv in grid.levels)
    else:
        # Means, or a table published without totals: no line sum to protect.
        values, counts = grid.value(), grid.count
        primary, secondary = primary_cells.copy(), np.zeros(grid.shape, dtype=bool)
        levels = grid.levels
    shown = round_to(values, round_base) if grid.statistic == "count" else np.round(values, 6)
    released = np.empty(values.shape, dtype=object)
    hidden = primary | secondary
    for index in np.ndindex(values.shape):
        if hidden[index]:
            released[index] = None
        elif grid.statistic == "count":
            released[index] = int(shown[index])
        else:
            released[index] = float(shown[index])
    return Suppressed(
        grid.dims, levels, values, counts, released, primary, secondary, additive
    )  # fmt: skip
