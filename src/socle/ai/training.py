"""Train and evaluate the demo model: a logistic regression with a person-level split."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from socle.ai.dataset import FEATURES, TrainingSet
from socle.errors import SocleError
from socle.privacy import disclose_count

MIN_EVENT_PERSONS = 3  # persons with an event, so that each side of a split holds some

if TYPE_CHECKING:  # scikit-learn and matplotlib load only when a model is trained or plotted
    from sklearn.pipeline import Pipeline


class ModelError(SocleError):
    """Base of AI errors."""


class ModelNotFoundError(ModelError):
    """No model with this id in the registry."""


class TooFewForTrainingError(ModelError):
    """The training set is below the minimum persons or events; the message names no count."""

    exit_code = 2


@dataclass(frozen=True)
class TrainingRules:
    """Disclosure rules of the model path (the release desk's, plus training minimums).

    Training is refused with fewer than ``min_persons`` persons or fewer than
    ``min_events`` events (landmarks whose label is the event). Every count
    that leaves (persons, landmarks, events) is checked like a release cell;
    a metric computed on fewer than ``threshold`` persons is suppressed.
    """

    threshold: int = 10
    rounding_base: int = 5
    min_persons: int = 10
    min_events: int = 10

    def count(self, n: int) -> int | None:
        return disclose_count(n, self.threshold, self.rounding_base)


@dataclass(frozen=True)
class Evaluation:
    """What leaves the model path: checked counts (``None`` = suppressed) and metrics.

    Rates are computed from the checked counts, so they disclose nothing the
    counts do not; metrics on fewer than ``threshold`` persons are ``None``.
    """

    persons: int | None
    rows: int | None
    events: int | None
    train_rows: int | None
    test_rows: int | None
    train_persons: int | None
    test_persons: int | None
    prevalence: float | None
    auroc: float | None
    cv_auroc: float | None
    brier: float | None
    mean_predicted: float | None
    observed_rate: float | None
    calibration_plot: Path
    threshold: int
    rounding_base: int
    min_persons: int
    min_events: int


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


def check_trainable(data: TrainingSet, rules: TrainingRules) -> None:
    """Refuse a training set below the minimums; the message names the rule, never the count."""
    events = int(data.y.sum())
    event_persons = len(set(data.groups[data.y == 1].tolist()))
    if data.persons < rules.min_persons or events < rules.min_events:
        raise TooFewForTrainingError(
            f"not enough data to train under this grant: training needs at least "
            f"{rules.min_persons} persons and {rules.min_events} events (landmarks followed by "
            "the outcome); widen the population or period, or ask for more data"
        )
    if event_persons < MIN_EVENT_PERSONS or events == len(data.y):
        raise TooFewForTrainingError(
            f"not enough data to train under this grant: events must come from at least "
            f"{MIN_EVENT_PERSONS} persons, and some landmarks must have no event, so that "
            "persons with and without the outcome can be held out for evaluation"
        )


def train_and_evaluate(
    data: TrainingSet, plot_path: Path, rules: TrainingRules | None = None, seed: int = 7
) -> tuple[Pipeline, Evaluation]:
    """Fit on two thirds of persons, evaluate on the other third (no person in both)."""
    from sklearn.metrics import brier_score_loss, roc_auc_score

    rules = rules or TrainingRules()
    check_trainable(data, rules)
    train, test = _person_folds(data, 3, seed)[0]
    pipeline = make_pipeline().fit(data.X[train], data.y[train])
    p = pipeline.predict_proba(data.X[test])[:, 1]
    y = data.y[test]
    test_persons = len(set(data.groups[test].tolist()))
    enough = test_persons >= rules.threshold  # metrics on fewer persons are not released
    auroc = float(roc_auc_score(y, p)) if enough and 0 < y.sum() < len(y) else None
    cv_auroc = _grouped_cv_auroc(data) if data.persons >= rules.threshold else None
    _calibration_plot(y, p, plot_path, show=enough)
    rows, events = rules.count(len(data.y)), rules.count(int(data.y.sum()))
    test_rows, test_events = rules.count(len(test)), rules.count(int(y.sum()))
    return pipeline, Evaluation(
        persons=rules.count(data.persons),
        rows=rows,
        events=events,
        train_rows=rules.count(len(train)),
        test_rows=test_rows,
        train_persons=rules.count(len(set(data.groups[train].tolist()))),
        test_persons=rules.count(test_persons),
        prevalence=_rate(events, rows),
        auroc=_round(auroc),
        cv_auroc=_round(cv_auroc),
        brier=_round(float(brier_score_loss(y, p)) if enough else None, 4),
        mean_predicted=_round(float(p.mean()) if enough else None),
        observed_rate=_rate(test_events, test_rows) if enough else None,
        calibration_plot=plot_path,
        threshold=rules.threshold,
        rounding_base=rules.rounding_base,
        min_persons=rules.min_persons,
        min_events=rules.min_events,
    )


def _rate(numerator: int | None, denominator: int | None) -> float | None:
    """A rate from two checked counts (``None`` if either was suppressed)."""
    if numerator is None or not denominator:
        return None
    return round(numerator / denominator, 3)


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


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


def explain(
    pipeline: Pipeline, x: np.ndarray, names: tuple[str, ...] = FEATURES
) -> dict[str, float]:
    """Each feature's SHAP value on the log-odds of one prediction.

    For a linear model on standardised features with the training mean as
    background, the SHAP value of a feature is exactly its coefficient times its
    standardised value (what ``shap.LinearExplainer`` computes; a test checks
    they agree), so it is computed in microseconds at prediction time.
    """
    imputed = pipeline.named_steps["impute"].transform(x.reshape(1, -1))
    scaled = pipeline.named_steps["scale"].transform(imputed)[0]
    coefs = pipeline.named_steps["model"].coef_[0]
    return {f: round(float(c * v), 4) for f, c, v in zip(names, coefs, scaled, strict=True)}


def _calibration_plot(y: np.ndarray, p: np.ndarray, path: Path, *, show: bool = True) -> None:
    """The calibration plot of held-out persons; without points when they are too few."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.calibration import calibration_curve

    path.parent.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    ax.plot([0, 1], [0, 1], "--", color="grey", label="perfect calibration")
    if not show:
        ax.text(0.5, 0.2, "too few held-out persons to show", ha="center", color="grey")
    elif len(set(y.tolist())) > 1:
        observed, predicted = calibration_curve(y, p, n_bins=5, strategy="quantile")
        ax.plot(predicted, observed, "o-", label="model (test persons)")
    ax.set_xlabel("predicted risk")
    ax.set_ylabel("observed rate")
    ax.set_title("Calibration on held-out persons")
    ax.legend(loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
