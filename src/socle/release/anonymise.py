"""k-anonymity, l-diversity and t-closeness by full-domain generalisation and record suppression.

The search walks the lattice of generalisation levels (one level per
quasi-identifier) from the most detailed node: while the node needs more
suppression than the policy allows, it takes the one-level step that leaves
the fewest records to suppress (then the least information lost); once a node
is acceptable it tries each one-level refinement and keeps any that still is
and loses less. Each node is evaluated on integer codes computed once per
level (numpy ``bincount`` over equivalence classes), so a node costs a few
passes over the rows.

The definitions are pyCANON's, which verifies the result independently
(:mod:`socle.release.extracts`): l is the number of distinct values of each
sensitive attribute in a class; t is the earth mover's distance between a
class's distribution of a sensitive attribute and the whole extract's —
"equal distance" for categories, ordered distance for numbers. Information
loss is the normalised certainty penalty (NCP): for a value generalised to a
group of g of the D distinct values, (g-1)/(D-1); 1 for a suppressed record.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from socle.release.errors import OutputError
from socle.release.hierarchies import Hierarchy

IntArray = np.ndarray


class AnonymisationError(OutputError):
    """The privacy model cannot be reached on this data within the policy's suppression."""


@dataclass(frozen=True)
class Target:
    k: int
    l: int
    t: float
    max_suppression: float  # share of records that may be suppressed


@dataclass(frozen=True)
class Anonymised:
    data: pd.DataFrame  # generalised, suppressed records removed
    levels: dict[str, int]  # quasi-identifier → generalisation level chosen
    suppressed: int
    records: int
    loss: float  # NCP over every record and quasi-identifier, suppressed records count 1
    nodes_evaluated: int


@dataclass(frozen=True)
class _Eval:
    node: tuple[int, ...]
    suppressed: int
    loss: float
    keep: np.ndarray  # bool per record

    def ok(self, limit: int) -> bool:
        return self.suppressed <= limit


class _Columns:
    """Per quasi-identifier and level: codes and NCP per record, computed once.

    Hierarchies run on each column's distinct values only; records reach their
    generalised code through the raw value's code (one integer gather).
    """

    def __init__(self, data: pd.DataFrame, qis: Mapping[str, Hierarchy]) -> None:
        self.data, self.qis = data, qis
        self._raw: dict[str, tuple[IntArray, pd.Series]] = {}
        self._levels: dict[tuple[str, int], tuple[IntArray, pd.Series]] = {}

    def raw(self, qi: str) -> tuple[IntArray, pd.Series]:
        """Each record's code into the column's distinct values, and those values."""
        if qi not in self._raw:
            codes, uniques = pd.factorize(self.data[qi], use_na_sentinel=False)
            self._raw[qi] = (codes.astype(np.int64), pd.Series(uniques))
        return self._raw[qi]

    def level(self, qi: str, level: int) -> tuple[IntArray, pd.Series]:
        """For each distinct raw value its generalised code, and the generalised labels."""
        if (qi, level) not in self._levels:
            _, uniques = self.raw(qi)
            labels = self.qis[qi].levels[level](uniques).astype("string")
            codes, names = pd.factorize(labels, use_na_sentinel=False)
            self._levels[qi, level] = (codes.astype(np.int64), pd.Series(names, dtype="string"))
        return self._levels[qi, level]

    def codes(self, qi: str, level: int) -> tuple[IntArray, int]:
        raw, _ = self.raw(qi)
        of_unique, names = self.level(qi, level)
        return of_unique[raw], len(names)

    def values(self, qi: str, level: int) -> np.ndarray:
        raw, _ = self.raw(qi)
        of_unique, names = self.level(qi, level)
        labels: np.ndarray = names.to_numpy(dtype=object)[of_unique[raw]]
        return labels

    def ncp(self, qi: str, level: int) -> np.ndarray:
        """(g-1)/(D-1) per record: g raw values share its generalised value, D in all."""
        raw, uniques = self.raw(qi)
        of_unique, names = self.level(qi, level)
        width = np.bincount(of_unique, minlength=len(names))
        per_unique = (width[of_unique] - 1) / max(len(uniques) - 1, 1)
        result: np.ndarray = per_unique[raw]
        return result


def _classes(columns: _Columns, names: Sequence[str], node: tuple[int, ...]) -> IntArray:
    key = np.zeros(len(columns.data), dtype=np.int64)
    for qi, level in zip(names, node, strict=True):
        codes, card = columns.codes(qi, level)
        key = key * card + codes
        if card and key.max(initial=0) > 2**40:  # keep the mixed-radix key small
            key = pd.factorize(key)[0].astype(np.int64)
    classes: IntArray = pd.factorize(key)[0].astype(np.int64)
    return classes


class _Sensitive:
    def __init__(self, series: pd.Series) -> None:
        self.ordered = bool(pd.api.types.is_numeric_dtype(series))
        values = np.sort(series.unique()) if self.ordered else None
        if values is not None:
            self.codes = np.searchsorted(values, series.to_numpy()).astype(np.int64)
            self.m = len(values)
        else:
            codes, uniques = pd.factorize(series.astype("string"), use_na_sentinel=False)
            self.codes, self.m = codes.astype(np.int64), len(uniques)

    def distinct_per_class(self, cls: IntArray, n: int) -> IntArray:
        pairs = np.unique(cls * self.m + self.codes)
        return np.bincount(pairs // self.m, minlength=n)

    def distance(self, cls: IntArray, keep: np.ndarray, n: int) -> np.ndarray:
        """pyCANON's t of each class, against the kept records' distribution."""
        c, v = cls[keep], self.codes[keep]
        if len(c) == 0 or self.m < 2:
            return np.zeros(n)
        p = np.bincount(v, minlength=self.m) / len(v)
        counts = np.bincount(c * self.m + v, minlength=n * self.m).reshape(n, self.m)
        sizes = counts.sum(axis=1, keepdims=True)
        q = np.divide(counts, sizes, out=np.zeros_like(counts, dtype=float), where=sizes > 0)
        if self.ordered:
            t: np.ndarray = np.abs(np.cumsum(q - p, axis=1)).sum(axis=1) / (self.m - 1)
        else:
            t = 0.5 * np.abs(q - p).sum(axis=1)
        return t


def _evaluate(
    columns: _Columns, names: Sequence[str], sensitive: Sequence[_Sensitive],
    node: tuple[int, ...], target: Target,
) -> _Eval:  # fmt: skip
    cls = _classes(columns, names, node)
    n = int(cls.max(initial=-1)) + 1
    sizes = np.bincount(cls, minlength=n)
    bad_class = sizes < target.k
    if target.l > 1:
        for sa in sensitive:
            bad_class |= sa.distinct_per_class(cls, n) < target.l
    keep = ~bad_class[cls]
    # Suppressing classes moves the whole distribution: re-check t a few times.
    for _ in range(4 if target.t < 1 else 0):
        far = np.zeros(n, dtype=bool)
        for sa in sensitive:
            far |= sa.distance(cls, keep, n) > target.t + 1e-12
        far &= ~bad_class
        if not far.any():
            break
        bad_class |= far
        keep = ~bad_class[cls]
    suppressed = int((~keep).sum())
    ncp = sum(columns.ncp(qi, lv) for qi, lv in zip(names, node, strict=True)) / len(names)
    loss = float((np.where(keep, ncp, 1.0)).mean()) if len(keep) else 0.0
    return _Eval(node, suppressed, loss, keep)


def anonymise(
    data: pd.DataFrame, qis: Mapping[str, Hierarchy], sensitive: Sequence[str], target: Target
) -> Anonymised:
    """The least-loss generalisation found that meets ``target``, or an error saying why not."""
    names = list(qis)
    missing = [c for c in (*names, *sensitive) if c not in data.columns]
    if missing:
        raise AnonymisationError(f"the extract has no column(s) {', '.join(missing)}")
    if set(names) & set(sensitive):
        raise AnonymisationError("a column cannot be both a quasi-identifier and sensitive")
    limit = int(target.max_suppression * len(data))
    columns = _Columns(data, qis)
    sens = [_Sensitive(data[s]) for s in sensitive]
    top = tuple(qis[q].height for q in names)
    evaluated = 0

    def evaluate(node: tuple[int, ...]) -> _Eval:
        nonlocal evaluated
        evaluated += 1
        return _evaluate(columns, names, sens, node, target)

    best = evaluate(top)
    if not best.ok(limit):
        raise AnonymisationError(_why_not(data, sensitive, target, best.suppressed, limit))
    current = evaluate(tuple(0 for _ in names))
    while not current.ok(limit):  # climb: the step that suppresses least, then loses least
        steps = [
            evaluate(tuple(lv + (i == j) for j, lv in enumerate(current.node)))
            for i in range(len(names)) if current.node[i] < top[i]
        ]  # fmt: skip
        current = min(
            steps, key=lambda e: (not e.ok(limit), e.suppressed if not e.ok(limit) else 0, e.loss)
        )
    improved = True
    while improved:  # refine: any one-level step down that still meets the target and loses less
        improved = False
        for i in range(len(names)):
            if current.node[i] == 0:
                continue
            trial = evaluate(tuple(lv - (i == j) for j, lv in enumerate(current.node)))
            if trial.ok(limit) and trial.loss < current.loss:
                current, improved = trial, True
    out = data.loc[current.keep].copy()
    for qi, level in zip(names, current.node, strict=True):
        out[qi] = columns.values(qi, level)[current.keep]
    return Anonymised(
        out.reset_index(drop=True), dict(zip(names, current.node, strict=True)),
        current.suppressed, len(data), current.loss, evaluated,
    )  # fmt: skip


def _why_not(
    data: pd.DataFrame, sensitive: Sequence[str], target: Target, suppressed: int, limit: int
) -> str:
    reasons = []
    if len(data) < target.k:
        reasons.append(f"the extract has fewer than k={target.k} records")
    for s in sensitive:
        if data[s].nunique(dropna=False) < target.l:
            reasons.append(f"'{s}' takes fewer than l={target.l} distinct values")
    if not reasons:
        reasons.append(
            f"even fully generalised, {suppressed} record(s) would have to be suppressed and the "
            f"policy allows {limit}"
        )
    return (
        f"k={target.k}, l={target.l}, t={target.t:g} cannot be reached: " + "; ".join(reasons)
        + ". Ask for fewer quasi-identifiers or sensitive attributes, or a larger population"
    )  # fmt: skip
