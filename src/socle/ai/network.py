"""A small neural network trained elsewhere (federated averaging across sites) as a model the
registry keeps and serves like its logistic regressions.

The network: the definition's inputs filled with the training means, standardised, one hidden
layer of tanh units, a logistic output. It is stored as the same kind of pipeline (impute →
scale → model), the model being scikit-learn's ``MLPClassifier`` with the trained weights set,
so the artefact is a skops file checked against trusted types, never a pickle.
:class:`NetworkScorer` scores one patient in closed form (numpy) and explains the score by
integrated gradients of the log-odds from the training mean, which for a linear model are its
SHAP values; they add up to the patient's log-odds minus the mean patient's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from socle.ai.scoring import pipeline_from_weights, standardisation_of, standardised
from socle.ai.training import ModelError

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

PATH_STEPS = 64  # midpoints along the path from the mean patient (integrated gradients)


def pipeline_from_network(
    hidden: np.ndarray, hidden_bias: Sequence[float] | np.ndarray,
    output: Sequence[float] | np.ndarray, output_bias: float,
    means: Sequence[float], stds: Sequence[float],
) -> Pipeline:  # fmt: skip
    """The fitted pipeline of a one-hidden-layer tanh network trained on standardised inputs:
    it scores ``sigmoid(tanh(z @ hidden + hidden_bias) @ output + output_bias)`` with
    ``z = (fill(x) - means) / stds``. ``hidden``: inputs × hidden units."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    w1 = np.asarray(hidden, dtype=float)
    b1, w2 = np.asarray(hidden_bias, dtype=float), np.asarray(output, dtype=float)
    units = (w1.shape[1],) if w1.ndim == 2 else None
    if units is None or w1.shape[0] != len(means) or b1.shape != units or w2.shape != units:
        raise ModelError("network weights: one row per input, one column per hidden unit")
    pipeline = pipeline_from_weights([0.0] * len(means), 0.0, means, stds)
    network = MLPClassifier(hidden_layer_sizes=(w1.shape[1],), activation="tanh",
                            solver="lbfgs", max_iter=1, alpha=0.0)  # fmt: skip
    with warnings.catch_warnings():  # fitted on two rows only to get its structure
        warnings.simplefilter("ignore", ConvergenceWarning)
        network.fit(np.vstack([np.zeros(len(means)), np.ones(len(means))]), np.array([0, 1]))
    network.coefs_ = [w1.copy(), w2.reshape(-1, 1).copy()]
    network.intercepts_ = [b1.copy(), np.array([float(output_bias)])]
    pipeline.steps[-1] = ("model", network)
    return pipeline


def is_network(pipeline: Pipeline) -> bool:
    return type(pipeline.named_steps.get("model")).__name__ == "MLPClassifier"


@dataclass(frozen=True, eq=False)
class NetworkScorer:
    features: tuple[str, ...]
    fill: np.ndarray
    mean: np.ndarray
    scale: np.ndarray
    hidden: np.ndarray
    hidden_bias: np.ndarray
    output: np.ndarray
    output_bias: float

    @classmethod
    def of(cls, pipeline: Pipeline, features: tuple[str, ...]) -> NetworkScorer:
        """The scorer of a fitted impute → scale → one-hidden-layer tanh network pipeline."""
        steps = pipeline.named_steps
        if not is_network(pipeline):
            raise ModelError(f"cannot score a pipeline with steps {', '.join(steps)}")
        fill, mean, std = standardisation_of(pipeline, features)
        network = steps["model"]
        if network.activation != "tanh" or len(network.coefs_) != 2 or network.n_outputs_ != 1:
            raise ModelError("only networks of one tanh hidden layer and one output are served")
        w1, w2 = (np.asarray(c, dtype=float) for c in network.coefs_)
        if w1.shape[0] != len(features):
            raise ModelError(
                f"the model does not have the {len(features)} inputs of its definition"
            )
        return cls(features, fill, mean, std, w1,
                   np.asarray(network.intercepts_[0], dtype=float), w2[:, 0],
                   float(network.intercepts_[1][0]))  # fmt: skip

    def _logit(self, z: np.ndarray) -> np.ndarray:
        result: np.ndarray = np.tanh(z @ self.hidden + self.hidden_bias) @ self.output
        return result + self.output_bias

    def score(self, inputs: Mapping[str, float | None]) -> tuple[float, dict[str, float]]:
        """The probability of the outcome and each feature's contribution to the log-odds
        (integrated gradients from the mean patient, 4 decimals)."""
        z = standardised(inputs, self.features, self.fill, self.mean, self.scale)
        logit = float(self._logit(z))
        alphas = (np.arange(PATH_STEPS) + 0.5) / PATH_STEPS
        path = np.tanh(np.outer(alphas, z) @ self.hidden + self.hidden_bias)
        gradients = ((1.0 - path**2) * self.output) @ self.hidden.T  # d logit / dz on the path
        contributions = z * gradients.mean(axis=0)
        explanation = {
            f: round(c, 4) for f, c in zip(self.features, contributions.tolist(), strict=True)
        }
        return float(1.0 / (1.0 + np.exp(-logit))), explanation
