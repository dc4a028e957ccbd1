"""Train and evaluate the demo model: a logistic regression with a person-level split."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from socle.ai.dataset import FEATURES, TrainingSet
from socle.errors import SocleError

if TYPE_CHECKING:  # scikit-learn and matplotlib load only when a model is trained or plotted
    from sklearn.pipeline import Pipeline


class ModelError(SocleError):
    """Base of AI errors."""


@dataclass(frozen=True)
class Evaluation:
    train_rows: int
    test_rows: int
    train_persons: int
    test_persons: int
    prevalence: float
    auroc: float | None
    cv_auroc: float
    brier: float
    mean_predicted: float
    observed_rate: float
    calibration_plot: Path


def make_pipeline() -> Pipeline:
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    return Pipeline(
        [
            ("impute", SimpleImputer(strategy="median", keep_empty_features=True)),
            ("scale", StandardScaler()),
            ("model", LogisticRegression(max_iter=1000)),
        ]
    )


def train_and_evaluate(
    data: TrainingSet, plot_path: Path, seed: int = 7
) -> tuple[Pipeline, Evaluation]:
    """Fit on two thirds of persons, evaluate on the other third (no person in both)."""
    from sklearn.metrics import brier_score_loss, roc_auc_score

    event_persons = len(set(data.groups[data.y == 1].tolist()))
    if len(data.y) < 20 or event_persons < 3 or data.y.sum() == len(data.y):
        raise ModelError(
            f"not enough data to train: {len(data.y)} landmarks, {int(data.y.sum())} events "
            f"in {event_persons} persons (need at least 20 landmarks and events in 3 persons)"
        )
    train, test = _person_folds(data, 3, seed)[0]
    pipeline = make_pipeline().fit(data.X[train], data.y[train])
    p = pipeline.predict_proba(data.X[test])[:, 1]
    y = data.y[test]
    auroc = float(roc_auc_score(y, p)) if 0 < y.sum() < len(y) else None
    cv_auroc = _grouped_cv_auroc(data)
    _calibration_plot(y, p, plot_path)
    return pipeline, Evaluation(
        train_rows=len(train),
        test_rows=len(test),
        train_persons=len(set(data.groups[train].tolist())),
        test_persons=len(set(data.groups[test].tolist())),
        prevalence=float(data.y.mean()),
        auroc=auroc,
        cv_auroc=cv_auroc,
        brier=float(brier_score_loss(y, p)),
        mean_predicted=float(p.mean()),
        observed_rate=float(y.mean()),
        calibration_plot=plot_path,
    )


def _person_folds(
    data: TrainingSet, n_splits: int, seed: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Row indexes of person-level folds, stratified on whether a person ever has an event.

    Every person's landmarks stay on one side, and every fold's test and training sides hold
    event persons (at most as many folds as event persons), whatever the pseudonyms (and so
    the person ids) of a deployment are.
    """
    from sklearn.model_selection import StratifiedKFold

    persons = np.unique(data.groups)
    has_event = np.isin(persons, data.groups[data.y == 1]).astype(int)
    n_splits = min(n_splits, int(has_event.sum()))
    folds = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    return [
        (np.flatnonzero(~np.isin(data.groups, persons[test])),
         np.flatnonzero(np.isin(data.groups, persons[test])))
        for _, test in folds.split(persons, has_event)
    ]  # fmt: skip


def _grouped_cv_auroc(data: TrainingSet, folds: int = 5) -> float:
    """AUROC of out-of-fold predictions, persons never split across folds: steadier on small data."""
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import cross_val_predict

    cv = _person_folds(data, folds, 0)
    p = cross_val_predict(
        make_pipeline(), data.X, data.y, groups=data.groups, cv=cv, method="predict_proba"
    )[:, 1]
    return float(roc_auc_score(data.y, p))


def explain(pipeline: Pipeline, x: np.ndarray) -> dict[str, float]:
    """Each feature's contribution to the log-odds of one prediction (exact for this model)."""
    imputed = pipeline.named_steps["impute"].transform(x.reshape(1, -1))
    scaled = pipeline.named_steps["scale"].transform(imputed)[0]
    coefs = pipeline.named_steps["model"].coef_[0]
    return {f: round(float(c * v), 4) for f, c, v in zip(FEATURES, coefs, scaled, strict=True)}


def _calibration_plot(y: np.ndarray, p: np.ndarray, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.calibration import calibration_curve

    path.parent.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    ax.plot([0, 1], [0, 1], "--", color="grey", label="perfect calibration")
    if len(set(y.tolist())) > 1:
        observed, predicted = calibration_curve(y, p, n_bins=5, strategy="quantile")
        ax.plot(predicted, observed, "o-", label="model (test persons)")
    ax.set_xlabel("predicted risk")
    ax.set_ylabel("observed rate")
    ax.set_title("Calibration on held-out persons")
    ax.legend(loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
