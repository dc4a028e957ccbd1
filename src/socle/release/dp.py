"""Differentially private counts, sums, means and histograms, with OpenDP.

Each release is an OpenDP measurement built from the rows (one per person,
symmetric distance: adding or removing one person changes one row). The ε it
spends is what OpenDP's privacy map says for one person (``meas.map(1)``),
not a figure we assume; the noise scale is found by OpenDP's binary search
for the ε asked. Accuracy is OpenDP's: the half-width of the interval that
holds the true value with the policy's confidence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from socle.release.errors import OutputError

DPKind = Literal["count", "sum", "mean", "histogram"]


@dataclass(frozen=True)
class DPResult:
    """A noisy statistic and what it cost."""

    kind: DPKind
    labels: tuple[str, ...]
    values: tuple[float, ...]
    accuracy: tuple[float, ...]  # half-width of the confidence interval, per value
    confidence: float
    epsilon: float
    delta: float = 0.0

    def rows(self) -> list[tuple[Any, ...]]:
        return [
            (label, value, value - acc, value + acc)
            for label, value, acc in zip(self.labels, self.values, self.accuracy, strict=True)
        ]


def _dp() -> Any:
    import opendp.prelude as dp  # heavy: imported only when a DP release is made

    dp.enable_features("contrib")
    return dp


def _search(dp: Any, build: Any, epsilon: float) -> Any:
    scale = dp.binary_search_param(build, d_in=1, d_out=epsilon)
    return build(scale), scale


def dp_count(rows: Sequence[Any], epsilon: float, *, confidence: float) -> DPResult:
    dp = _dp()
    space = dp.vector_domain(dp.atom_domain(T=str)), dp.symmetric_distance()
    build = lambda s: space >> dp.t.then_count() >> dp.m.then_laplace(scale=s)  # noqa: E731
    meas, scale = _search(dp, build, epsilon)
    value = float(meas([str(r) for r in rows]))
    acc = dp.discrete_laplacian_scale_to_accuracy(scale, 1 - confidence)
    return DPResult("count", ("persons",), (value,), (acc,), confidence, float(meas.map(1)))


def dp_histogram(
    rows: Sequence[Any], categories: Sequence[str], epsilon: float, *, confidence: float
) -> DPResult:
    """Noisy count of every category (the last, ``other``, counts values outside them)."""
    if not categories:
        raise OutputError("a DP histogram needs its categories declared in advance")
    dp = _dp()
    space = dp.vector_domain(dp.atom_domain(T=str)), dp.symmetric_distance()
    cats = [str(c) for c in categories]
    build = lambda s: (  # noqa: E731
        space >> dp.t.then_count_by_categories(categories=cats) >> dp.m.then_laplace(scale=s)
    )
    meas, scale = _search(dp, build, epsilon)
    values = tuple(float(v) for v in meas([str(r) for r in rows]))
    acc = dp.discrete_laplacian_scale_to_accuracy(scale, 1 - confidence)
    return DPResult(
        "histogram", (*cats, "other"), values, (acc,) * len(values), confidence,
        float(meas.map(1)),
    )  # fmt: skip


def dp_sum(
    values: Sequence[float], bounds: tuple[float, float], epsilon: float, *, confidence: float
) -> DPResult:
    """Noisy sum of values clamped to ``bounds`` (declared before looking at the data)."""
    dp = _dp()
    lo, hi = float(bounds[0]), float(bounds[1])
    if not lo < hi:
        raise OutputError("DP sum: the lower bound must be below the upper bound")
    space = dp.vector_domain(dp.atom_domain(T=float, nan=False)), dp.symmetric_distance()
    build = lambda s: (  # noqa: E731
        space >> dp.t.then_clamp((lo, hi)) >> dp.t.then_sum() >> dp.m.then_laplace(scale=s)
    )
    meas, scale = _search(dp, build, epsilon)
    value = float(meas([float(v) for v in values]))
    acc = dp.laplacian_scale_to_accuracy(scale, 1 - confidence)
    return DPResult("sum", ("sum",), (value,), (acc,), confidence, float(meas.map(1)))


def dp_mean(
    values: Sequence[float], bounds: tuple[float, float], epsilon: float, *, confidence: float
) -> DPResult:
    """Noisy sum over noisy count, each with half the budget (sequential composition)."""
    # Each half-interval at a confidence that makes both hold jointly (Bonferroni).
    joint = 1 - (1 - confidence) / 2
    total = dp_sum(values, bounds, epsilon / 2, confidence=joint)
    count = dp_count(list(range(len(values))), epsilon / 2, confidence=joint)
    n = max(count.values[0], 1.0)
    mean = total.values[0] / n
    # Interval of a ratio from the two intervals (conservative).
    lo_n, hi_n = max(n - count.accuracy[0], 1.0), n + count.accuracy[0]
    lo_s, hi_s = total.values[0] - total.accuracy[0], total.values[0] + total.accuracy[0]
    ends = [lo_s / lo_n, lo_s / hi_n, hi_s / lo_n, hi_s / hi_n]
    acc = max(abs(mean - min(ends)), abs(max(ends) - mean))
    return DPResult(
        "mean", ("mean",), (mean,), (acc,), confidence, total.epsilon + count.epsilon
    )  # fmt: skip
