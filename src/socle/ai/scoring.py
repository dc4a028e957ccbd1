"""A fitted model in closed form, for scoring one patient at the bedside in microseconds.

Socle's models are one pipeline: fill missing inputs (the imputer's statistics),
standardise (the scaler's mean and scale), logistic regression. Its score and
its SHAP values (each feature's coefficient times its standardised value, what
``shap.LinearExplainer`` computes against the training mean) are a few numpy
operations on five vectors; going through scikit-learn's input validation for
one row costs milliseconds. :class:`LinearScorer` holds those vectors, read once
from the hash-checked artefact; tests check it against ``predict_proba`` and SHAP.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np

from socle.ai.training import ModelError

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline


class Scorer(Protocol):
    """A served model in closed form: its inputs, and one patient's score with its reasons."""

    @property
    def features(self) -> tuple[str, ...]: ...

    def score(self, inputs: Mapping[str, float | None]) -> tuple[float, dict[str, float]]: ...


def scorer_of(pipeline: Pipeline, features: tuple[str, ...]) -> Scorer:
    """The scorer of a registered pipeline: a logistic regression, or a small neural network
    (:mod:`socle.ai.network`); anything else is refused."""
    from socle.ai.network import NetworkScorer, is_network

    if is_network(pipeline):
        return NetworkScorer.of(pipeline, features)
    return LinearScorer.of(pipeline, features)


def standardisation_of(
    pipeline: Pipeline, features: tuple[str, ...]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The fill values, means and scales of a fitted impute → scale → model pipeline, one per
    input of the definition."""
    steps = pipeline.named_steps
    if set(steps) != {"impute", "scale", "model"}:
        raise ModelError(f"cannot score a pipeline with steps {', '.join(steps)}")
    impute, scale, n = steps["impute"], steps["scale"], len(features)
    vectors = (
        np.asarray(impute.statistics_, dtype=float),
        np.asarray(scale.mean_ if scale.with_mean else np.zeros(n), dtype=float),
        np.asarray(scale.scale_ if scale.with_std else np.ones(n), dtype=float),
    )
    if any(v.shape != (n,) for v in vectors):
        raise ModelError(f"the model does not have the {n} inputs of its definition")
    return vectors


def standardised(
    inputs: Mapping[str, float | None], features: tuple[str, ...],
    fill: np.ndarray, mean: np.ndarray, scale: np.ndarray,
) -> np.ndarray:  # fmt: skip
    """One patient's inputs as the model sees them: missing ones filled, then standardised."""
    x = np.array([np.nan if (v := inputs[f]) is None else v for f in features], float)
    z: np.ndarray = (np.where(np.isnan(x), fill, x) - mean) / scale
    return z


@dataclass(frozen=True, eq=False)
class LinearScorer:
    features: tuple[str, ...]
    fill: np.ndarray
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    @classmethod
    def of(cls, pipeline: Pipeline, features: tuple[str, ...]) -> LinearScorer:
        """The scorer of a fitted impute → scale → logistic-regression pipeline."""
        fill, mean, scale = standardisation_of(pipeline, features)
        model = pipeline.named_steps["model"]
        coef = np.asarray(model.coef_[0], dtype=float)
        if coef.shape != (len(features),):
            raise ModelError(
                f"the model does not have the {len(features)} inputs of its definition"
            )
        return cls(features, fill, mean, scale, coef, float(model.intercept_[0]))

    def score(self, inputs: Mapping[str, float | None]) -> tuple[float, dict[str, float]]:
        """The probability of the outcome and each feature's SHAP value (log-odds, 4 decimals)."""
        z = standardised(inputs, self.features, self.fill, self.mean, self.scale)
        contributions = self.coef * z
        logit = float(contributions.sum()) + self.intercept
        probability = 1.0 / (1.0 + np.exp(-logit))
        explanation = {
            f: round(c, 4) for f, c in zip(self.features, contributions.tolist(), strict=True)
        }
        return float(probability), explanation


def pipeline_from_weights(
    coefficients: Sequence[float], intercept: float, means: Sequence[float], stds: Sequence[float]
) -> Pipeline:
    """The fitted pipeline of a logistic regression trained elsewhere on standardised inputs
    (missing values filled with ``means``), e.g. by federated averaging across sites.

    It scores exactly as ``sigmoid(((fill(x) - means) / stds) @ coefficients + intercept)``
    and is saved as a skops artefact like a model trained here.
    """
    from socle.ai.training import make_pipeline

    m, s, w = (np.asarray(v, dtype=float) for v in (means, stds, coefficients))
    if not m.shape == s.shape == w.shape or m.ndim != 1 or np.any(s <= 0):
        raise ModelError("weights, means and standard deviations: one positive value per input")
    pipeline = make_pipeline().fit(np.vstack([m - s, m + s]), np.array([0, 1]))
    impute, scale, model = (pipeline.named_steps[k] for k in ("impute", "scale", "model"))
    impute.statistics_ = m.copy()
    scale.mean_, scale.scale_, scale.var_ = m.copy(), s.copy(), s**2
    model.coef_, model.intercept_ = w.reshape(1, -1), np.array([float(intercept)])
    return pipeline
