"""The second federated model family: a small neural network (one hidden layer of ``HIDDEN``
tanh units, a logistic output) trained with FedAvg over its weights, like the logistic
regression (:mod:`socle.federation.learning`): the same standardised features, the same
rounds, each site taking full-batch gradient steps from the global weights on its own
training persons, the penalty shared out by its share of the network's rows.

The weights travel as one flat list: the hidden layer's matrix (features × ``HIDDEN``), its
biases, the output weights, the output bias. Every site and the hub start from the same
seeded initial weights, so averaging is meaningful from the first round.

The default schedule of a small network (``ROUNDS`` rounds of ``STEPS`` step at ``LR``) is
exact: with one local step, the row-weighted average of the sites' steps *is* the central
gradient step on the pooled rows, so the federated network equals the central one
(``central_fit`` with ``ROUNDS`` steps) up to rounding. Several local steps a round drift
apart on a small network's few, nearly separable persons per site; a large network takes them
(``schedule``), a round there costing several central steps (docs/benchmarks.md, Federation,
sixth round).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from socle.federation.learning import L2, Preprocessing, sigmoid

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

HIDDEN = 8
SEED = 15
ROUNDS = 60  # the default schedule: 60 rounds of one exact gradient step at LR
STEPS = 1
LR = 2.0
LARGE = 10_000  # training rows from which a network takes LARGE_SCHEDULE instead
LARGE_SCHEDULE = (3, 200, 0.5)  # rounds, local steps, learning rate


def schedule(network_rows: int) -> tuple[int, int, float]:
    """The default (rounds, local steps, learning rate) for a network of this many training
    rows: exact one-step rounds on a small one (its sites drift under many local steps), few
    rounds of many steps on a large one (a round there costs several central steps)."""
    return LARGE_SCHEDULE if network_rows >= LARGE else (ROUNDS, STEPS, LR)


def size(features: int) -> int:
    return features * HIDDEN + 2 * HIDDEN + 1


def initial(features: int) -> list[float]:
    """The network's starting weights (seeded: the same at the hub and every site)."""
    rng = np.random.default_rng(SEED)
    w1 = rng.normal(0.0, 1.0 / np.sqrt(features), size=(features, HIDDEN))
    w2 = rng.normal(0.0, 1.0 / np.sqrt(HIDDEN), size=HIDDEN)
    flat = np.concatenate([w1.ravel(), np.zeros(HIDDEN), w2, [0.0]])
    return [float(v) for v in flat]


def _unpack(weights: np.ndarray, features: int) -> tuple[np.ndarray, ...]:
    cut = features * HIDDEN
    w1 = weights[:cut].reshape(features, HIDDEN)
    b1, w2, b2 = weights[cut : cut + HIDDEN], weights[cut + HIDDEN : -1], weights[-1]
    return w1, b1, w2, b2


def predict(weights: Sequence[float], Z: np.ndarray) -> np.ndarray:
    w1, b1, w2, b2 = _unpack(np.asarray(weights, dtype=float), Z.shape[1])
    return sigmoid(np.tanh(Z @ w1 + b1) @ w2 + b2)


def local_steps(weights: Sequence[float], Z: np.ndarray, y: np.ndarray, *, steps: int,
                lr: float, mu: float = 0.0, network_rows: int,
                site_rows: int | None = None) -> list[float]:  # fmt: skip
    """Full-batch gradient steps on the site's rows (log loss + L2 on the weight matrices,
    shared out by the site's share of rows; ``mu`` > 0: FedProx).

    ``network_rows`` is the sum of the sites' disclosed (rounded) row counts and ``site_rows``
    this site's, the weight FedAvg gives its update: dividing by those, one step a round
    averages to exactly the central step with ``network_rows`` as the divisor."""
    start = np.asarray(weights, dtype=float)
    w = start.copy()
    features, n = Z.shape[1], max(network_rows, 1)
    share = (site_rows or len(y)) / n
    penalised = np.ones_like(w)
    penalised[features * HIDDEN : features * HIDDEN + HIDDEN] = 0.0  # no penalty on biases
    penalised[-1] = 0.0
    for _ in range(steps):
        w1, b1, w2, b2 = _unpack(w, features)
        hidden = np.tanh(Z @ w1 + b1)
        error = sigmoid(hidden @ w2 + b2) - y  # d loss / d output logit
        back = np.outer(error, w2) * (1.0 - hidden**2)
        grad = np.concatenate([(Z.T @ back).ravel(), back.sum(axis=0), hidden.T @ error,
                               [error.sum()]]) / n  # fmt: skip
        grad += L2 * share * penalised * w / n + mu * share * (w - start)
        w -= lr * grad / max(share, 1e-9)
    return [float(v) for v in w]


def central_fit(Z: np.ndarray, y: np.ndarray, *, steps: int, lr: float,
                network_rows: int | None = None) -> list[float]:  # fmt: skip
    """The same network trained centrally on the pooled rows (the benchmark's reference);
    ``network_rows``: the federation's divisor (its disclosed row count) for the same steps."""
    rows = network_rows or len(y)  # the pooled rows are the whole network: a share of 1
    return local_steps(initial(Z.shape[1]), Z, y, steps=steps, lr=lr, network_rows=rows,
                       site_rows=rows)  # fmt: skip


def as_pipeline(weights: Sequence[float], prep: Preprocessing) -> Pipeline:
    """The federated network as the AI context's pipeline (mean imputation, the network's
    standardisation, the network), so the model registry keeps (skops) and serves it."""
    from socle.ai import pipeline_from_network

    w1, b1, w2, b2 = _unpack(np.asarray(weights, dtype=float), len(prep.means))
    return pipeline_from_network(w1, b1, w2, float(b2), prep.means, prep.stds)
