"""What the workspace hands the desk: one output, its kind, its content and its population.

This is the input interface of the release context. A workspace query
result or a job's output file becomes an :class:`Output` through one of the
builders (tables in :mod:`socle.release.grid`, the others here); each builder
keeps the evidence the checks need (contributors, ties, degrees of freedom,
events), which never leaves the desk.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from socle.release.errors import OutputError
from socle.release.extracts import AnonymisedExtract
from socle.release.grid import FloatArray, Grid

OutputKind = Literal[
    "frequency_table", "magnitude_table", "statistics", "regression", "histogram",
    "survival", "model_metrics", "anonymised_extract",
]  # fmt: skip
COEFFICIENT_COLUMNS = frozenset(
    {
        "term",
        "coef",
        "std_err",
        "z",
        "t",
        "p_value",
        "ci_low",
        "ci_high",
        "odds_ratio",
        "hazard_ratio",
    }
)


@dataclass(frozen=True)
class Population:
    """Who an output is about: a canonical definition, and how many persons (kept inside)."""

    definition: str
    persons: int

    @property
    def key(self) -> str:
        """Same definition and same size: the same persons (a consent change makes another)."""
        return hashlib.sha256(f"{self.definition}\x00{self.persons}".encode()).hexdigest()[:16]


@dataclass(frozen=True)
class StatRow:
    """Descriptive statistics of one group, with the evidence of who they come from."""

    group: str
    n: int
    mean: float
    sum: float
    sd: float
    min: float
    max: float
    median: float
    persons_at_min: int
    persons_at_max: int
    persons_at_median: int
    top1: float
    top2: float
    topn: float
    negatives: int


@dataclass(frozen=True)
class Statistics:
    variable: str
    rows: tuple[StatRow, ...]


@dataclass(frozen=True)
class Regression:
    """Coefficients of a fitted model and its residual degrees of freedom."""

    model: str  # ols, logit, probit, cox
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    residual_dof: int
    observations: int


@dataclass(frozen=True)
class Histogram:
    variable: str
    edges: tuple[float, ...]
    counts: tuple[int, ...]


@dataclass(frozen=True)
class SurvivalCurve:
    """Kaplan-Meier steps: at each event time, persons at risk, events and survival."""

    times: tuple[float, ...]
    at_risk: tuple[int, ...]
    events: tuple[int, ...]
    survival: tuple[float, ...]


@dataclass(frozen=True)
class MetricRow:
    subgroup: str
    persons: int
    events: int
    metrics: Mapping[str, float]


@dataclass(frozen=True)
class ModelMetrics:
    model_id: str
    rows: tuple[MetricRow, ...]


Content = (
    Grid | Statistics | Regression | Histogram | SurvivalCurve | ModelMetrics | AnonymisedExtract
)


@dataclass(frozen=True)
class Output:
    """One output to check and, perhaps, release."""

    name: str
    kind: OutputKind
    content: Content
    population: Population
    provenance: Mapping[str, str] = field(default_factory=dict)  # grant, job, code/query hash


def statistics(
    values: Sequence[float] | FloatArray,
    groups: Sequence[str] | None = None,
    *,
    variable: str,
    nk_n: int = 2,
) -> Statistics:
    """Describe ``values`` (one per person), overall or per group."""
    data = np.asarray(values, dtype=np.float64)
    labels = np.full(len(data), "all") if groups is None else np.asarray(groups).astype(str)
    if len(labels) != len(data):
        raise OutputError("statistics: one group label per value")
    keep = ~np.isnan(data)
    names, codes = np.unique(labels[keep], return_inverse=True)
    # One sort by (group, value); each group is then a sorted slice.
    order = np.lexsort((data[keep], codes))
    sorted_values, sorted_codes = data[keep][order], codes[order]
    bounds = np.searchsorted(sorted_codes, np.arange(len(names) + 1))
    rows = []
    for k, group in enumerate(names):
        v = sorted_values[bounds[k] : bounds[k + 1]]
        median = float(np.median(v))
        desc = v[::-1]
        rows.append(
            StatRow(
                str(group), int(v.size), float(v.mean()), float(v.sum()),
                float(v.std(ddof=1)) if v.size > 1 else 0.0, float(v[0]), float(v[-1]), median,
                int((v == v[0]).sum()), int((v == v[-1]).sum()), int((v == median).sum()),
                float(desc[0]), float(desc[1]) if v.size > 1 else 0.0,
                float(desc[:nk_n].sum()), int((v < 0).sum()),
            )
        )  # fmt: skip
    return Statistics(variable, tuple(rows))


def histogram(
    values: Sequence[float] | FloatArray, bins: int | Sequence[float], *, variable: str
) -> Histogram:
    data = np.asarray(values, dtype=np.float64)
    counts, edges = np.histogram(data[~np.isnan(data)], bins=bins)
    return Histogram(variable, tuple(float(e) for e in edges), tuple(int(c) for c in counts))


def kaplan_meier(
    durations: Sequence[float] | FloatArray, observed: Sequence[bool] | FloatArray
) -> SurvivalCurve:
    """The Kaplan-Meier estimate at each distinct event time."""
    t = np.asarray(durations, dtype=np.float64)
    e = np.asarray(observed, dtype=bool)
    if t.shape != e.shape:
        raise OutputError("survival: one event flag per duration")
    times = np.unique(t[e])
    at_risk = np.array([(t >= x).sum() for x in times], dtype=np.int64)
    events = np.array([((t == x) & e).sum() for x in times], dtype=np.int64)
    survival = np.cumprod(1 - events / np.maximum(at_risk, 1))
    return SurvivalCurve(
        tuple(times.tolist()), tuple(at_risk.tolist()), tuple(events.tolist()),
        tuple(float(s) for s in survival),
    )  # fmt: skip


def regression_from_statsmodels(result: Any, model: str) -> Regression:
    """The coefficient table and residual degrees of freedom of a fitted statsmodels model."""
    names = [str(n) for n in getattr(result.params, "index", range(len(result.params)))]
    params, bse = np.asarray(result.params), np.asarray(result.bse)
    pvalues, ci = np.asarray(result.pvalues), np.asarray(result.conf_int())
    rows = tuple(
        (name, float(params[i]), float(bse[i]), float(pvalues[i]), float(ci[i][0]), float(ci[i][1]))
        for i, name in enumerate(names)
    )
    return Regression(
        model, ("term", "coef", "std_err", "p_value", "ci_low", "ci_high"), rows,
        int(result.df_resid), int(result.nobs),
    )  # fmt: skip
