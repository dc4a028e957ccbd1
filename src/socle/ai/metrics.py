"""Performance figures of a risk score: discrimination, calibration, net benefit, thresholds.

Pure numpy on arrays of labels ``y`` (0/1) and predicted risks ``p``; the
bootstrap resamples persons (``groups``), since one person's landmarks are not
independent. Nothing here decides what is published: :mod:`socle.ai.evaluation`
passes every figure through the release desk's checks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

EPS = 1e-6


def auroc(y: np.ndarray, p: np.ndarray) -> float | None:
    """Area under the ROC curve (Mann-Whitney, ties counted half); None with one class."""
    pos, neg = int(y.sum()), int(len(y) - y.sum())
    if pos == 0 or neg == 0:
        return None
    order = np.argsort(p, kind="mergesort")
    ranks = np.empty(len(p), dtype=float)
    sorted_p = p[order]
    # average ranks over ties
    _, first, counts = np.unique(sorted_p, return_index=True, return_counts=True)
    avg = first + (counts - 1) / 2.0 + 1
    ranks[order] = np.repeat(avg, counts)
    return float((ranks[y == 1].sum() - pos * (pos + 1) / 2) / (pos * neg))


def bootstrap_auroc(
    y: np.ndarray, p: np.ndarray, groups: np.ndarray, reps: int = 500, seed: int = 11
) -> tuple[float, float] | None:
    """95% percentile interval of the AUROC, resampling persons with replacement."""
    rng = np.random.default_rng(seed)
    persons, inverse = np.unique(groups, return_inverse=True)
    rows_of = [np.flatnonzero(inverse == k) for k in range(len(persons))]
    values = []
    for _ in range(reps):
        pick = rng.integers(0, len(persons), len(persons))
        rows = np.concatenate([rows_of[k] for k in pick])
        value = auroc(y[rows], p[rows])
        if value is not None:
            values.append(value)
    if len(values) < reps // 2:
        return None
    low, high = np.percentile(values, [2.5, 97.5])
    return float(low), float(high)


def _logit(p: np.ndarray) -> np.ndarray:
    q = np.clip(p, EPS, 1 - EPS)
    return np.asarray(np.log(q / (1 - q)))


def _fit_logistic(x: np.ndarray, y: np.ndarray, offset: np.ndarray, iters: int = 50) -> np.ndarray:
    """Newton-Raphson fit of logit P(y) = offset + x @ beta (x includes its intercept column)."""
    beta = np.zeros(x.shape[1])
    for _ in range(iters):
        eta = offset + x @ beta
        mu = 1 / (1 + np.exp(-eta))
        w = mu * (1 - mu) + EPS
        step = np.linalg.solve(x.T @ (x * w[:, None]) + EPS * np.eye(x.shape[1]), x.T @ (y - mu))
        beta += step
        if np.abs(step).max() < 1e-8:
            break
    return beta


@dataclass(frozen=True)
class Calibration:
    intercept: float  # calibration in the large: 0 is perfect
    slope: float  # 1 is perfect; below 1, predictions too extreme
    ece: float  # expected calibration error over the bins
    bins: tuple[tuple[float, float, int, int], ...]  # (mean predicted, observed, rows, events)


def calibration(y: np.ndarray, p: np.ndarray, n_bins: int) -> Calibration:
    """Intercept (offset fit), slope (logistic recalibration), ECE over quantile bins."""
    lp = _logit(p)
    ones = np.ones((len(y), 1))
    intercept = float(_fit_logistic(ones, y.astype(float), lp)[0])
    slope = float(_fit_logistic(np.column_stack([ones, lp]), y.astype(float), np.zeros(len(y)))[1])
    edges = np.quantile(p, np.linspace(0, 1, max(n_bins, 1) + 1))
    which = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, max(n_bins, 1) - 1)
    bins, ece = [], 0.0
    for k in range(max(n_bins, 1)):
        rows = which == k
        if rows.any():
            predicted, observed = float(p[rows].mean()), float(y[rows].mean())
            bins.append((predicted, observed, int(rows.sum()), int(y[rows].sum())))
            ece += rows.mean() * abs(predicted - observed)
    return Calibration(intercept, slope, float(ece), tuple(bins))


def wilson(events: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval of a proportion."""
    if n == 0:
        return 0.0, 1.0
    rate = events / n
    centre = (rate + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(rate * (1 - rate) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return float(max(0.0, centre - half)), float(min(1.0, centre + half))


THRESHOLDS = (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5)


def net_benefit(
    y: np.ndarray, p: np.ndarray, thresholds: tuple[float, ...] = THRESHOLDS
) -> dict[str, list[float]]:
    """Decision curve: net benefit of the model, of treating all, and of treating none."""
    n, prevalence = len(y), float(y.mean())
    model, treat_all = [], []
    for t in thresholds:
        flagged = p >= t
        tp, fp = int((flagged & (y == 1)).sum()), int((flagged & (y == 0)).sum())
        odds = t / (1 - t)
        model.append(tp / n - fp / n * odds)
        treat_all.append(prevalence - (1 - prevalence) * odds)
    return {"thresholds": list(thresholds), "model": model, "treat_all": treat_all,
            "treat_none": [0.0] * len(thresholds)}  # fmt: skip


def at_threshold(y: np.ndarray, p: np.ndarray, threshold: float) -> dict[str, float]:
    """Sensitivity, specificity, PPV, NPV and share flagged at one operating point."""
    flagged = p >= threshold
    tp, fp = int((flagged & (y == 1)).sum()), int((flagged & (y == 0)).sum())
    fn, tn = int((~flagged & (y == 1)).sum()), int((~flagged & (y == 0)).sum())

    def ratio(a: int, b: int) -> float:
        return a / b if b else float("nan")

    return {
        "sensitivity": ratio(tp, tp + fn), "specificity": ratio(tn, tn + fp),
        "ppv": ratio(tp, tp + fp), "npv": ratio(tn, tn + fn), "flagged": ratio(tp + fp, len(y)),
    }  # fmt: skip
