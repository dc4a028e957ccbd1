"""The extract as integer codes, and one lattice node's equivalence classes evaluated on them.

A *node* gives one generalisation level per quasi-identifier. Every level of
every hierarchy runs once, on the column's distinct values; the records are
then reduced to their distinct combinations of raw codes (plus the sensitive
codes when l or t is asked), each with the number of records it stands for.
Evaluating a node is a few integer gathers over that table, one mixed-radix
key, and ``bincount``s: no string is touched.

The definitions are pyCANON's, which verifies the result independently
(:mod:`socle.release.extracts`): l is the number of distinct values of each
sensitive attribute in a class; t is the earth mover's distance between a
class's distribution of a sensitive attribute and the kept records' — "equal
distance" for categories, ordered distance for numbers. Information loss is
the normalised certainty penalty (NCP): a value generalised to a group of g
of the D distinct values costs (g-1)/(D-1); a suppressed record costs 1.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from socle.release.hierarchies import Hierarchy

Node = tuple[int, ...]
_DENSE = 4  # classes counted with a dense bincount while the key space is under 4x the rows


@dataclass(frozen=True)
class Target:
    k: int
    l: int
    t: float
    max_suppression: float  # share of records that may be suppressed


@dataclass(frozen=True)
class Evaluation:
    node: Node
    suppressed: int
    loss: float  # NCP over every record and quasi-identifier, a suppressed one counting 1
    # (1.0 without computing it when the node suppresses more than allowed)
    keep: np.ndarray  # bool per row of the coded table


class _Level:
    """One level of one quasi-identifier: a code per distinct raw value, labels, NCP per code."""

    def __init__(self, labels: pd.Series, raw_counts: np.ndarray) -> None:
        codes, names = pd.factorize(labels.astype("string"), use_na_sentinel=False)
        self.of_raw = codes.astype(np.int64)
        self.names = pd.Series(names, dtype="string")
        self.card = len(names)
        width = np.bincount(self.of_raw, minlength=self.card)
        self.ncp = (width - 1) / max(len(labels) - 1, 1)
        self.mean_ncp = float(self.ncp[self.of_raw] @ raw_counts) / max(int(raw_counts.sum()), 1)
        self.max_ncp = float(self.ncp.max(initial=0.0))


class _Sensitive:
    def __init__(self, series: pd.Series) -> None:
        self.ordered = bool(pd.api.types.is_numeric_dtype(series))
        if self.ordered:
            values = np.sort(series.unique())
            self.codes = np.searchsorted(values, series.to_numpy()).astype(np.int64)
            self.m = len(values)
        else:
            codes, uniques = pd.factorize(series.astype("string"), use_na_sentinel=False)
            self.codes, self.m = codes.astype(np.int64), len(uniques)


def _group(columns: Sequence[np.ndarray], n: int) -> np.ndarray:
    """A dense id per distinct combination of the integer columns (mixed radix, refactorised)."""
    key = np.zeros(n, dtype=np.int64)
    radix = 1
    for col in columns:
        card = int(col.max(initial=-1)) + 1
        if radix * max(card, 1) > 2**62:
            key = pd.factorize(key)[0].astype(np.int64)
            radix = int(key.max(initial=-1)) + 1
        key = key * card + col
        radix *= max(card, 1)
    ids: np.ndarray = pd.factorize(key)[0].astype(np.int64)
    return ids


class Coded:
    """The records reduced to distinct rows of codes, with every hierarchy level precomputed."""

    def __init__(
        self, data: pd.DataFrame, qis: Mapping[str, Hierarchy], sensitive: Sequence[str],
        with_sensitive: bool,
    ) -> None:  # fmt: skip
        self.names = list(qis)
        self.records = len(data)
        raw = []
        self.levels: list[list[_Level]] = []
        for qi in self.names:
            codes, uniques = pd.factorize(data[qi], use_na_sentinel=False)
            raw.append(codes.astype(np.int64))
            counts = np.bincount(codes, minlength=len(uniques))
            distinct = pd.Series(uniques)
            self.levels.append([_Level(f(distinct), counts) for f in qis[qi].levels])
        sens = [_Sensitive(data[s]) for s in sensitive] if with_sensitive else []
        self.row_of_record = _group([*raw, *(s.codes for s in sens)], self.records)
        rows = int(self.row_of_record.max(initial=-1)) + 1
        first = np.zeros(rows, dtype=np.int64)
        first[self.row_of_record] = np.arange(self.records)  # any record of the row will do
        self.raw = [c[first] for c in raw]  # each table row's raw code per quasi-identifier
        self.weight = np.bincount(self.row_of_record, minlength=rows).astype(np.int64)
        self.sensitive = [(s, s.codes[first]) for s in sens]
        self.heights = tuple(len(levels) - 1 for levels in self.levels)

    @property
    def rows(self) -> int:
        return len(self.weight)

    def mean_ncp(self, qi: int, level: int) -> float:
        return self.levels[qi][level].mean_ncp

    def max_ncp(self, qi: int, level: int) -> float:
        return self.levels[qi][level].max_ncp

    def cardinality(self, qi: int, level: int) -> int:
        return self.levels[qi][level].card

    def labels(self, qi: int, level: int) -> np.ndarray:
        """Each record's generalised value at ``level`` (for the output)."""
        lv = self.levels[qi][level]
        per_row = lv.names.to_numpy(dtype=object)[lv.of_raw[self.raw[qi]]]
        out: np.ndarray = per_row[self.row_of_record]
        return out

    def codes(self, qi: int, level: int, rows: np.ndarray | None = None) -> np.ndarray:
        """The generalised code of each table row (or of ``rows``) at ``level``."""
        lv = self.levels[qi][level]
        raw = self.raw[qi] if rows is None else self.raw[qi][rows]
        out: np.ndarray = lv.of_raw[raw]
        return out

    def classes(self, node: Node, compact: bool) -> tuple[np.ndarray, int]:
        """Each table row's class id at ``node``, and the number of ids (some may be empty)."""
        key = np.zeros(self.rows, dtype=np.int64)
        radix = 1
        for qi, level in enumerate(node):
            card = self.levels[qi][level].card
            if radix * card > 2**62:
                key = pd.factorize(key)[0].astype(np.int64)
                radix = int(key.max(initial=-1)) + 1
            np.multiply(key, card, out=key)
            np.add(key, self.codes(qi, level), out=key)
            radix *= card
        if not compact and radix <= _DENSE * self.rows + 1024:
            return key, radix
        cls = pd.factorize(key)[0].astype(np.int64)
        return cls, int(cls.max(initial=-1)) + 1

    def loss(self, node: Node, keep: np.ndarray) -> float:
        """NCP of ``node`` when the rows not kept are suppressed (they count 1).

        The loss of every record generalised is known per level; only the
        suppressed rows' own NCP is gathered, so the cost follows suppression.
        """
        if not self.records:
            return 0.0
        dropped = np.flatnonzero(~keep)
        weight = self.weight[dropped].astype(np.float64)
        their_ncp = np.zeros(len(dropped))
        everyone = 0.0
        for qi, level in enumerate(node):
            lv = self.levels[qi][level]
            everyone += lv.mean_ncp
            their_ncp += lv.ncp[self.codes(qi, level, dropped)]
        q = max(len(node), 1)
        kept_loss = everyone / q * self.records - float(np.sum(weight * their_ncp)) / q
        return (kept_loss + float(weight.sum())) / self.records


def _distinct(cls: np.ndarray, codes: np.ndarray, m: int, n: int) -> np.ndarray:
    pairs = np.unique(cls * m + codes)
    counts: np.ndarray = np.bincount(pairs // m, minlength=n)
    return counts


def _distance(
    sa: _Sensitive, codes: np.ndarray, cls: np.ndarray, weight: np.ndarray, n: int
) -> np.ndarray:
    """pyCANON's t of each class, against the kept rows' distribution (``weight`` 0 if dropped)."""
    total = weight.sum()
    if total == 0 or sa.m < 2:
        return np.zeros(n)
    p = np.bincount(codes, weights=weight, minlength=sa.m) / total
    counts = np.bincount(cls * sa.m + codes, weights=weight, minlength=n * sa.m).reshape(n, sa.m)
    sizes = counts.sum(axis=1, keepdims=True)
    q = np.divide(counts, sizes, out=np.zeros_like(counts), where=sizes > 0)
    if sa.ordered:
        t: np.ndarray = np.abs(np.cumsum(q - p, axis=1)).sum(axis=1) / (sa.m - 1)
    else:
        t = 0.5 * np.abs(q - p).sum(axis=1)
    return t


def evaluate(coded: Coded, node: Node, target: Target) -> Evaluation:
    """Suppress the classes that miss k, l or t at ``node``; what is suppressed and lost."""
    needs_sensitive = target.l > 1 or target.t < 1
    cls, n = coded.classes(node, compact=needs_sensitive)
    w = coded.weight
    bad_class = np.bincount(cls, weights=w, minlength=n) < target.k
    if target.l > 1:
        for sa, codes in coded.sensitive:
            bad_class |= _distinct(cls, codes, sa.m, n) < target.l
    keep = ~bad_class[cls]
    # Suppressing classes moves the whole distribution: re-check t a few times.
    for _ in range(4 if target.t < 1 else 0):
        far = np.zeros(n, dtype=bool)
        for sa, codes in coded.sensitive:
            far |= _distance(sa, codes, cls, w * keep, n) > target.t + 1e-12
        far &= ~bad_class
        if not far.any():
            break
        bad_class |= far
        keep = ~bad_class[cls]
    suppressed = int(w[~keep].sum())
    loss = coded.loss(node, keep) if suppressed <= target.max_suppression * coded.records else 1.0
    return Evaluation(node, suppressed, loss, keep)
