"""The federated model: a logistic regression on standardised features, trained with FedAvg
(or FedProx) from each site's local gradient steps.

Sites never send rows: in a first round each sends the sums needed for the
network-wide means and standard deviations (mean imputation, standardisation);
then each round a site starts from the global weights, takes ``steps``
gradient steps on its own training persons, and sends back its weights and its
(rounded) number of training rows; the hub averages them weighted by that
number (FedAvg). FedProx adds ``mu/2 * ||w - w_global||^2`` to each site's
objective, which keeps sites with unlike data close to the global model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

L2 = 1.0  # sklearn's default penalty (C = 1): 0.5 * ||w||^2 added to the summed log loss
HELD_OUT_EVERY = 4  # persons whose pseudonymous id % 4 == 0 are held out at every site


@dataclass(frozen=True)
class Preprocessing:
    """Network-wide means and standard deviations of the features (from summed statistics)."""

    means: tuple[float, ...]
    stds: tuple[float, ...]

    def apply(self, X: np.ndarray) -> np.ndarray:
        means, stds = np.asarray(self.means), np.asarray(self.stds)
        filled = np.where(np.isnan(X), means, X)
        result: np.ndarray = (filled - means) / stds
        return result


def feature_sums(X: np.ndarray) -> dict[str, list[float]]:
    """What a site sends for the preprocessing: per-feature counts, sums, sums of squares."""
    present = ~np.isnan(X)
    values = np.where(present, X, 0.0)
    return {
        "n": present.sum(axis=0).astype(float).tolist(),
        "sum": values.sum(axis=0).tolist(),
        "sumsq": (values**2).sum(axis=0).tolist(),
    }


def combine_sums(parts: Sequence[dict[str, list[float]]]) -> Preprocessing:
    n = np.sum([p["n"] for p in parts], axis=0)
    total = np.sum([p["sum"] for p in parts], axis=0)
    sumsq = np.sum([p["sumsq"] for p in parts], axis=0)
    safe = np.maximum(n, 1.0)
    means = np.where(n > 0, total / safe, 0.0)
    var = np.maximum(sumsq / safe - means**2, 0.0)
    stds = np.where(var > 1e-12, np.sqrt(var), 1.0)
    return Preprocessing(tuple(means.tolist()), tuple(stds.tolist()))


def sigmoid(z: np.ndarray) -> np.ndarray:
    result: np.ndarray = 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))
    return result


def predict(weights: Sequence[float], Z: np.ndarray) -> np.ndarray:
    w = np.asarray(weights)
    return sigmoid(Z @ w[:-1] + w[-1])


def local_steps(
    weights: Sequence[float],
    Z: np.ndarray,
    y: np.ndarray,
    *,
    steps: int,
    lr: float,
    mu: float = 0.0,
    network_rows: int,
) -> list[float]:
    """The site's share of the central objective minimised from the global weights by Newton's
    method (at most ``steps`` iterations; it stops once converged, typically within ten).

    The objective is the site's summed log loss plus its share of the L2 penalty (by its share
    of the network's rows, so the sites' objectives add up to the central one), divided by the
    network's rows; ``mu > 0`` adds FedProx's ``mu/2 * share * ||w - w_global||^2``. A Newton
    iteration costs about one gradient step plus a (features+1)² solve, and reaches the local
    optimum where hundreds of gradient steps stop short of it: FedAvg of these optima needs a
    round or two, not many. ``lr`` is the MLP's step size, unused here (kept for one signature).
    """
    del lr
    start = np.asarray(weights, dtype=float)
    w = start.copy()
    n = max(network_rows, 1)
    share = len(y) / n
    l2 = np.full(len(w), L2 * share / n)
    l2[-1] = 0.0  # the intercept is not penalised
    prox = mu * share
    Z1 = np.hstack([Z, np.ones((len(y), 1))])

    def objective(v: np.ndarray) -> float:
        z = Z1 @ v
        loss = float(np.logaddexp(0.0, z).sum() - z @ y) / n
        return loss + 0.5 * float(l2 @ v**2) + 0.5 * prox * float((v - start) @ (v - start))

    current = objective(w)
    for _ in range(steps):
        p = sigmoid(Z1 @ w)
        grad = Z1.T @ (p - y) / n + l2 * w + prox * (w - start)
        hessian = (Z1.T * (p * (1.0 - p))) @ Z1 / n + np.diag(l2 + prox)
        delta = np.linalg.lstsq(hessian, grad, rcond=None)[0]
        step, value, candidate = 1.0, current, w
        while step > 1e-4:  # backtracking: a full step can overshoot far from the optimum
            candidate = w - step * delta
            value = objective(candidate)
            if value <= current:
                break
            step /= 2
        if value > current:
            break
        gain, w, current = current - value, candidate, value
        if gain <= 1e-12 * max(abs(current), 1.0):
            break
    return [float(v) for v in w]


@dataclass(frozen=True)
class ClientDP:
    """Client-side differential privacy of a site's update (Flower's ``LocalDpMod`` mechanism):
    the update ``w_local - w_global`` is clipped to L2 norm ``clip``, then Gaussian noise of
    standard deviation ``sensitivity * sqrt(2 ln(1.25/δ)) / ε`` is added to every weight, with
    ``sensitivity = 2 * clip`` (any change of the site's rows, one person included, moves a
    clipped update by at most that): each round is (ε, δ)-DP for the site's whole data set,
    and ``rounds`` rounds compose (basic composition) to ``(rounds ε, rounds δ)``."""

    clip: float
    epsilon: float
    delta: float

    @property
    def noise_std(self) -> float:
        return float(2 * self.clip * np.sqrt(2 * np.log(1.25 / self.delta)) / self.epsilon)

    def budget(self, rounds: int) -> dict[str, float | int | str]:
        """What the model's lineage records: the mechanism and the ε, δ spent over ``rounds``."""
        return {"mechanism": "gaussian, client-side (clipped update + noise at each site)",
                "clip": self.clip, "noise_std": round(self.noise_std, 6),
                "epsilon_per_round": self.epsilon, "delta_per_round": self.delta,
                "rounds": rounds, "epsilon": round(self.epsilon * rounds, 6),
                "delta": round(self.delta * rounds, 12), "composition": "basic (ε and δ add up)",
                "unit": "a site's whole training data (so every person at it)"}  # fmt: skip

    def privatise(self, weights: Sequence[float], start: Sequence[float]) -> list[float]:
        """Clip the update from ``start`` and add the noise (Flower's own DP primitives)."""
        from flwr.supercore.differential_privacy import (
            add_gaussian_noise_inplace,
            clip_inputs_inplace,
        )

        update = [np.asarray(weights, dtype=float) - np.asarray(start, dtype=float)]
        clip_inputs_inplace(update, self.clip)
        add_gaussian_noise_inplace(update, self.noise_std)
        return [float(v) for v in np.asarray(start, dtype=float) + update[0]]


def fed_average(updates: Sequence[tuple[list[float], int]]) -> list[float]:
    """FedAvg: the sites' weights averaged by their numbers of training rows."""
    total = sum(rows for _, rows in updates)
    if total <= 0:
        raise ValueError("no training rows in this round")
    stacked = np.array([w for w, _ in updates])
    share = np.array([rows / total for _, rows in updates])
    return [float(v) for v in share @ stacked]


def auroc(y: np.ndarray, scores: np.ndarray) -> float:
    """The area under the ROC curve (Mann-Whitney, ties counted half), NaN with one class only.

    Equal to scikit-learn's ``roc_auc_score`` (a test checks it) without importing it: at a site
    that import costs seconds of a round's time.
    """
    y = np.asarray(y).astype(bool)
    positives, negatives = int(y.sum()), int((~y).sum())
    if positives == 0 or negatives == 0:
        return float("nan")
    _, inverse, counts = np.unique(np.asarray(scores), return_inverse=True, return_counts=True)
    ends = np.cumsum(counts)
    ranks = (ends - (counts - 1) / 2.0)[inverse]  # average rank of each tie group
    return float((ranks[y].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def held_out(person_ids: np.ndarray) -> np.ndarray:
    """The held-out mask: the same persons whatever site or central node holds them."""
    return np.asarray(person_ids % HELD_OUT_EVERY == 0)


def central_fit(X: np.ndarray, y: np.ndarray, prep: Preprocessing) -> list[float]:
    """The same model fitted centrally on pooled rows (the benchmark's reference)."""
    from sklearn.linear_model import LogisticRegression

    # A tight tolerance: the fit is the optimum the federated Newton rounds are compared with.
    model = LogisticRegression(C=1.0 / L2, tol=1e-10, max_iter=10000).fit(prep.apply(X), y)
    return [*model.coef_[0].tolist(), float(model.intercept_[0])]


def as_pipeline(weights: Sequence[float], prep: Preprocessing) -> Pipeline:
    """The federated model as the AI context's pipeline (mean imputation, the network's
    standardisation, the logistic regression), so the model registry can keep and serve it."""
    from socle.ai import pipeline_from_weights

    w = [float(v) for v in weights]
    return pipeline_from_weights(w[:-1], w[-1], prep.means, prep.stds)
