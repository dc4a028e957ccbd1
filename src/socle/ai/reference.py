"""The reference profile of a model: how its inputs and scores were distributed in training.

Kept with the model (never published) so monitoring can measure drift: per
feature, decile edges of the training values (rounded), the share of rows in
each bin and the share missing; the same for the scores.
"""

from __future__ import annotations

from typing import Any

import numpy as np

BINS = 10


def bin_shares(edges: list[float], values: np.ndarray) -> np.ndarray:
    """Share of non-missing ``values`` in each bin; the outer bins are open-ended."""
    present = values[~np.isnan(values)]
    if present.size == 0:
        return np.zeros(len(edges) + 1)
    which = np.searchsorted(np.asarray(edges), present, side="right")
    return np.asarray(np.bincount(which, minlength=len(edges) + 1) / present.size)


def _profile(values: np.ndarray, digits: int) -> dict[str, Any]:
    present = values[~np.isnan(values)]
    if present.size == 0:
        return {"edges": [], "shares": [1.0], "missing": 1.0}
    inner = np.quantile(present, np.linspace(0, 1, BINS + 1)[1:-1])
    edges = sorted({round(float(e), digits) for e in inner})
    return {
        "edges": edges,
        "shares": [round(float(s), 4) for s in bin_shares(edges, values)],
        "missing": round(float(np.isnan(values).mean()), 4),
    }


def reference_profile(X: np.ndarray, scores: np.ndarray, names: tuple[str, ...]) -> dict[str, Any]:
    return {
        "features": {n: _profile(X[:, i], 1) for i, n in enumerate(names)},
        "score": _profile(scores, 3),
        "mean_score": round(float(scores.mean()), 4),
    }
