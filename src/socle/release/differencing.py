"""Differencing: does a new table, combined with earlier releases, reveal a small cell?

Three classic attacks, each a pure function over released tables (true and
released values per cell, margins labelled ``All``):

* **populations** — the same table on two populations that differ by fewer
  than the threshold (one practice, one group dropped): subtracting the
  cells describes the few persons dropped;
* **bands** — overlapping or nested bands of a numeric dimension (ages 18-44,
  then 18-39): their difference is a band nobody released (40-44);
* **margins** — a table and a coarser one on the same population (a total, a
  margin): total minus the visible cells of a line gives its one hidden cell.

A finding names the earlier release it combines with; the desk turns findings
into a ``needs review`` check.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from socle.release.suppression import TOTAL

Cell = tuple[float, float | None]  # (true value, released value or None when suppressed)


@dataclass(frozen=True)
class LedgerTable:
    """One released table as the ledger keeps it."""

    release_id: str
    population_key: str
    population: str
    persons: int
    dims: tuple[str, ...]
    measure: str
    cells: dict[tuple[str, ...], Cell]


@dataclass(frozen=True)
class Finding:
    attack: str
    earlier_release: str
    reason: str


def _band(label: str) -> tuple[float, float] | None:
    """``18-44`` → [18, 45); ``65+`` → [65, ∞); anything else is not a band."""
    if m := re.fullmatch(r"\s*(\d+)\s*[-–]\s*(\d+)\s*", label):
        return float(m[1]), float(m[2]) + 1
    if m := re.fullmatch(r"\s*(\d+)\s*\+\s*", label):
        return float(m[1]), float("inf")
    return None


def _shown(cell: Cell) -> bool:
    return cell[1] is not None


def _describe(dims: tuple[str, ...], labels: tuple[str, ...]) -> str:
    return ", ".join(f"{d}={v}" for d, v in zip(dims, labels, strict=True))


def populations(new: LedgerTable, old: LedgerTable, threshold: int) -> list[Finding]:
    """Same table, nested populations differing in some released cell by fewer than the threshold."""
    if (new.dims, new.measure) != (
        old.dims,
        old.measure,
    ) or new.population_key == old.population_key:
        return []
    diffs = [
        (labels, new.cells[labels][0] - old.cells[labels][0])
        for labels in new.cells.keys() & old.cells.keys()
        if _shown(new.cells[labels]) and _shown(old.cells[labels])
    ]
    nested = all(d >= 0 for _, d in diffs) or all(d <= 0 for _, d in diffs)
    small = [(labels, d) for labels, d in diffs if 0 < abs(d) < threshold]
    if not (nested and small):
        return []
    labels, _ = min(small, key=lambda x: (TOTAL in x[0], abs(x[1])))
    return [
        Finding(
            "populations", old.release_id,
            f"the same table was released as {old.release_id} on a population that differs from "
            f"this one by fewer than {threshold} persons in {len(small)} released cell(s) (e.g. "
            f"{_describe(new.dims, labels)}): subtracting them describes those persons",
        )
    ]  # fmt: skip


def bands(new: LedgerTable, old: LedgerTable, threshold: int) -> list[Finding]:
    """Same population, one banded dimension with nested bands whose difference is small."""
    if new.population_key != old.population_key or (new.dims, new.measure) != (
        old.dims,
        old.measure,
    ):
        return []
    found: list[Finding] = []
    for axis, dim in enumerate(new.dims):

        def rest(labels: tuple[str, ...], axis: int = axis) -> tuple[str, ...]:
            return labels[:axis] + labels[axis + 1 :]

        old_by_rest: dict[tuple[str, ...], list[tuple[str, Cell]]] = defaultdict(list)
        for labels, cell in old.cells.items():
            old_by_rest[rest(labels)].append((labels[axis], cell))
        for labels, cell in new.cells.items():
            band = _band(labels[axis])
            if band is None or not _shown(cell):
                continue
            for other_label, other in old_by_rest.get(rest(labels), []):
                other_band = _band(other_label)
                if other_band is None or other_band == band or not _shown(other):
                    continue
                inner, outer = sorted((band, other_band), key=lambda b: b[1] - b[0])
                if not (outer[0] <= inner[0] and inner[1] <= outer[1]):
                    continue
                gap = abs(cell[0] - other[0])
                if 0 < gap < threshold:
                    found.append(
                        Finding(
                            "bands", old.release_id,
                            f"{dim} band {labels[axis]} here and {other_label} in "
                            f"{old.release_id} are nested: their difference counts fewer than "
                            f"{threshold} persons ({_describe(new.dims, labels)})",
                        )
                    )  # fmt: skip
                    return found
    return found


def margins(new: LedgerTable, old: LedgerTable) -> list[Finding]:
    """A coarser table's released cell minus the visible cells of a finer one's line."""
    if new.population_key != old.population_key or new.measure != old.measure:
        return []
    for fine, coarse in ((new, old), (old, new)):
        if not set(coarse.dims) < set(fine.dims):
            continue
        position = [fine.dims.index(d) for d in coarse.dims]
        groups: dict[tuple[str, ...], list[Cell]] = defaultdict(list)
        for labels, cell in fine.cells.items():
            extra = [v for i, v in enumerate(labels) if i not in position]
            if TOTAL in extra:
                continue
            groups[tuple(labels[i] for i in position)].append(cell)
        for key, members in groups.items():
            total = coarse.cells.get(key)
            hidden = [c for c in members if not _shown(c)]
            if total is not None and _shown(total) and len(hidden) == 1:
                return [
                    Finding(
                        "margins", old.release_id,
                        f"{coarse.release_id or 'this output'} publishes the total of "
                        f"{_describe(coarse.dims, key) or 'everyone'}; with the visible cells of "
                        f"{fine.release_id or 'this output'} it recovers their one suppressed cell",
                    )
                ]  # fmt: skip
    return []


def find_differencing(
    new: LedgerTable, earlier: Iterable[LedgerTable], threshold: int
) -> list[Finding]:
    """Every way ``new`` combines with an earlier release to reveal a small or hidden cell."""
    findings: list[Finding] = []
    for old in earlier:
        findings += populations(new, old, threshold)
        findings += bands(new, old, threshold)
        findings += margins(new, old)
    return findings
