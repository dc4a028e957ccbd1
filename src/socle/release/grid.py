"""Full tables with their per-cell evidence, built from rows in one vectorised pass.

A :class:`Grid` holds every combination of its dimensions' levels (zeros
included: a missing combination is a cell too) and, per cell, what the
checks need: the number of contributors, and for magnitude tables the sum,
the largest contributions and the number of negative values — the evidence
ACRO collects with its ``agg_*`` functions (``acro/sdc_agg_funcs.py``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from socle.release.errors import OutputError

Statistic = Literal["count", "sum", "mean"]
FloatArray = NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class Grid:
    """A dense table over ``dims``; arrays have one axis per dimension."""

    dims: tuple[str, ...]
    levels: tuple[tuple[str, ...], ...]
    measure: str
    statistic: Statistic
    count: FloatArray  # contributors (persons) per cell
    total: FloatArray  # sum of the measure per cell (equals ``count`` for frequency tables)
    top1: FloatArray | None = None  # largest contribution per cell (magnitude tables)
    top2: FloatArray | None = None  # second largest
    topn: FloatArray | None = None  # sum of the N largest (N = the policy's safe_nk_n)
    negatives: FloatArray | None = None  # negative contributions per cell
    margins: bool = True  # publish every line's total (then secondary suppression protects it)

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(lv) for lv in self.levels)

    @property
    def cells(self) -> int:
        return int(np.prod(self.shape))

    @property
    def magnitude(self) -> bool:
        return self.statistic != "count"

    def value(self) -> FloatArray:
        """The statistic each cell would publish."""
        if self.statistic == "mean":
            with np.errstate(invalid="ignore", divide="ignore"):
                return np.where(self.count > 0, self.total / self.count, np.nan)
        return self.total

    def label(self, index: tuple[int, ...]) -> dict[str, str]:
        return {d: self.levels[i][k] for i, (d, k) in enumerate(zip(self.dims, index, strict=True))}


def _codes(
    values: Sequence[Any] | NDArray[Any], levels: Sequence[str] | None
) -> tuple[tuple[str, ...], NDArray[np.intp]]:
    """Level labels and each row's level index (unique values are converted once)."""
    array = np.asarray(values)
    if array.dtype.kind == "O":
        array = np.where(array == None, "", array).astype(str)  # noqa: E711
    found, codes = np.unique(array, return_inverse=True)
    labels = tuple(str(x) for x in found)
    if levels is None:
        return labels, codes.astype(np.intp)
    index = {lv: i for i, lv in enumerate(levels)}
    unknown = sorted(lb for lb in labels if lb not in index)
    if unknown:
        raise OutputError(f"values outside the declared levels: {', '.join(unknown[:5])}")
    remap = np.fromiter((index[lb] for lb in labels), dtype=np.intp, count=len(labels))
    return tuple(levels), remap[codes]


def _cell_ids(
    columns: Mapping[str, Sequence[Any] | NDArray[Any]],
    dims: Sequence[str],
    levels: Mapping[str, Sequence[str]] | None,
) -> tuple[tuple[tuple[str, ...], ...], NDArray[np.intp]]:
    if not dims:
        raise OutputError("a table needs at least one dimension")
    missing = [d for d in dims if d not in columns]
    if missing:
        raise OutputError(f"dimension(s) {', '.join(missing)} not among the columns")
    found, codes = [], []
    for d in dims:
        lv, c = _codes(columns[d], (levels or {}).get(d))
        found.append(lv)
        codes.append(c)
    shape = tuple(len(lv) for lv in found)
    return tuple(found), np.ravel_multi_index(tuple(codes), shape) if codes[0].size else np.zeros(
        0, np.intp
    )


def frequency_table(
    columns: Mapping[str, Sequence[Any] | NDArray[Any]],
    dims: Sequence[str],
    *,
    measure: str = "persons",
    levels: Mapping[str, Sequence[str]] | None = None,
    margins: bool = True,
) -> Grid:
    """Count rows (one per person) in every combination of ``dims``."""
    found, ids = _cell_ids(columns, dims, levels)
    shape = tuple(len(lv) for lv in found)
    count = np.bincount(ids, minlength=int(np.prod(shape))).astype(np.float64).reshape(shape)
    return Grid(tuple(dims), found, measure, "count", count, count.copy(), margins=margins)


def magnitude_table(
    columns: Mapping[str, Sequence[Any] | NDArray[Any]],
    dims: Sequence[str],
    value: str,
    statistic: Literal["sum", "mean"] = "sum",
    *,
    nk_n: int = 2,
    levels: Mapping[str, Sequence[str]] | None = None,
) -> Grid:
    """Sum or mean of ``value`` per cell, with the evidence of dominance (one row per person)."""
    if value not in columns:
        raise OutputError(f"value column {value!r} not among the columns")
    found, ids = _cell_ids(columns, dims, levels)
    shape = tuple(len(lv) for lv in found)
    n = int(np.prod(shape))
    values = np.asarray(columns[value], dtype=np.float64)
    keep = ~np.isnan(values)
    ids, values = ids[keep], values[keep]
    count = np.bincount(ids, minlength=n).astype(np.float64)
    total = np.bincount(ids, weights=values, minlength=n).astype(np.float64)
    negatives = np.bincount(ids, weights=(values < 0).astype(np.float64), minlength=n).astype(
        np.float64
    )
    # Rank contributions within each cell, largest first: sort by (cell, -value).
    order = np.lexsort((-values, ids))
    sorted_ids, sorted_values = ids[order], values[order]
    first = np.searchsorted(sorted_ids, sorted_ids, side="left")
    rank = np.arange(sorted_ids.size) - first
    top1, top2 = np.zeros(n), np.zeros(n)
    top1[sorted_ids[rank == 0]] = sorted_values[rank == 0]
    top2[sorted_ids[rank == 1]] = sorted_values[rank == 1]
    topn = np.bincount(
        sorted_ids[rank < nk_n], weights=sorted_values[rank < nk_n], minlength=n
    ).astype(np.float64)
    return Grid(
        tuple(dims), found, value, statistic, count.reshape(shape), total.reshape(shape),
        top1.reshape(shape), top2.reshape(shape), topn.reshape(shape), negatives.reshape(shape),
    )  # fmt: skip


def counts_table(
    dims: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    measure: str = "persons",
    levels: Mapping[str, Sequence[str]] | None = None,
    margins: bool = True,
) -> Grid:
    """A frequency table from already-counted rows ``(level, ..., count)``; absent cells are 0."""
    width = len(dims) + 1
    bad = [i for i, r in enumerate(rows, 1) if len(r) != width]
    if bad:
        raise OutputError(f"row {bad[0]} has {len(rows[bad[0] - 1])} values; expected {width}")
    columns = {d: [r[i] for r in rows] for i, d in enumerate(dims)}
    found, ids = _cell_ids(columns, dims, levels)
    shape = tuple(len(lv) for lv in found)
    try:
        weights = np.asarray([float(r[-1]) for r in rows], dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise OutputError(f"a count is not a number: {exc}") from exc
    if (weights < 0).any() or (weights != np.round(weights)).any():
        raise OutputError("counts must be whole numbers >= 0")
    count = (
        np.bincount(ids, weights=weights, minlength=int(np.prod(shape)))
        .astype(np.float64)
        .reshape(shape)
    )
    return Grid(tuple(dims), found, measure, "count", count, count.copy(), margins=margins)
