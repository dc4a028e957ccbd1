"""The evaluation of a model, every published figure passed through the release checks.

Internal validation uses out-of-fold predictions of a 5-fold, person-grouped
cross-validation (on small data, steadier than one held-out third), plus a
temporal validation (train on earlier index years, test on later ones).
Subgroups by sex and age band use Fairlearn's ``MetricFrame``; the global
explanation is SHAP's ``LinearExplainer``. Each figure is a cell of a
``model_metrics`` output checked by :func:`socle.release.check_output`: a
subgroup with too few persons, events or non-events is withheld and named in
the warnings.
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from socle.ai import metrics as m
from socle.ai.dataset import TrainingSet
from socle.ai.plots import calibration_plot, decision_curve_plot, importance_plot
from socle.ai.training import TrainingRules, _person_folds, make_pipeline
from socle.release import MetricRow, ModelMetrics, Output, Population, ReleasePolicy, check_output

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

AGE_BANDS = ((18, 45, "18-44"), (45, 65, "45-64"), (65, 200, "65+"))
VALIDATION = "5-fold person-grouped cross-validation (out-of-fold predictions)"


def out_of_fold(data: TrainingSet, folds: int = 5) -> np.ndarray:
    """Each row's risk predicted by a model that never saw its person."""
    p = np.zeros(len(data.y))
    for train, test in _person_folds(data, folds, 0):
        p[test] = (
            make_pipeline().fit(data.X[train], data.y[train]).predict_proba(data.X[test])[:, 1]
        )
    return p


def _clean(value: float | None, digits: int = 3) -> float | None:
    return None if value is None or math.isnan(value) else round(float(value), digits)


def _overall(
    y: np.ndarray, p: np.ndarray, groups: np.ndarray, threshold: float
) -> dict[str, float]:
    figures: dict[str, float] = {}
    auc = m.auroc(y, p)
    if auc is not None:
        figures["auroc"] = auc
        ci = m.bootstrap_auroc(y, p, groups)
        if ci is not None:
            figures["auroc_ci_low"], figures["auroc_ci_high"] = ci
    cal = m.calibration(y, p, 5)
    figures |= {"brier": float(np.mean((p - y) ** 2)), "calibration_intercept": cal.intercept,
                "calibration_slope": cal.slope, "ece": cal.ece,
                "mean_predicted": float(p.mean()), "observed_rate": float(y.mean())}  # fmt: skip
    figures |= {f"op_{k}": v for k, v in m.at_threshold(y, p, threshold).items()}
    curve = m.net_benefit(y, p)
    for t, nb, all_ in zip(curve["thresholds"], curve["model"], curve["treat_all"], strict=True):
        figures[f"net_benefit_{t:.2f}"], figures[f"treat_all_{t:.2f}"] = nb, all_
    return figures


def _bands(ages: np.ndarray) -> np.ndarray:
    labels = np.full(len(ages), "under 18", dtype=object)
    for low, high, name in AGE_BANDS:
        labels[(ages >= low) & (ages < high)] = name
    return labels


def _subgroups(
    data: TrainingSet, p: np.ndarray, threshold: float
) -> tuple[list[MetricRow], dict[str, Any]]:
    """Per-group figures (Fairlearn MetricFrame) and, per attribute, gaps and ratios."""
    from fairlearn.metrics import MetricFrame

    def auc(y: np.ndarray, s: np.ndarray) -> float:
        value = m.auroc(np.asarray(y), np.asarray(s))
        return float("nan") if value is None else value

    scorers = {
        "auroc": auc,
        "recall": lambda y, s: float(np.mean(np.asarray(s)[np.asarray(y) == 1] >= threshold))
        if np.asarray(y).sum()
        else float("nan"),
        "selection_rate": lambda y, s: float(np.mean(np.asarray(s) >= threshold)),
        "mean_predicted": lambda y, s: float(np.mean(s)),
        "observed_rate": lambda y, s: float(np.mean(y)),
    }
    attributes = {
        "sex": np.where(data.X[:, 1] == 1, "M", "F"),
        "age_band": _bands(data.X[:, 0]),
    }
    rows, frames = [], {}
    for attribute, values in attributes.items():
        frame = MetricFrame(metrics=scorers, y_true=data.y, y_pred=p, sensitive_features=values)
        frames[attribute] = frame
        for group in frame.by_group.index:
            mask = values == group
            rows.append(MetricRow(
                f"{attribute}={group}", len(set(data.groups[mask].tolist())),
                int(data.y[mask].sum()),
                {k: float(v) for k, v in frame.by_group.loc[group].items() if not math.isnan(v)},
            ))  # fmt: skip
    return rows, frames


def _temporal(data: TrainingSet) -> tuple[MetricRow | None, dict[str, Any]]:
    """Train on the earlier index years (about two thirds of rows), test on the later ones."""
    if data.index_year is None or len(set(data.index_year.tolist())) < 2:
        return None, {"reason": "the data hold a single index year"}
    years = np.sort(data.index_year)
    cut = int(years[min(len(years) - 1, (2 * len(years)) // 3)])
    train, test = data.index_year < cut, data.index_year >= cut
    if len(set(data.y[train].tolist())) < 2 or not train.any():
        return None, {"reason": "the earlier years hold a single outcome class"}
    p = make_pipeline().fit(data.X[train], data.y[train]).predict_proba(data.X[test])[:, 1]
    figures = {"auroc": m.auroc(data.y[test], p), "mean_predicted": float(p.mean()),
               "observed_rate": float(data.y[test].mean())}  # fmt: skip
    row = MetricRow(
        "temporal", len(set(data.groups[test].tolist())), int(data.y[test].sum()),
        {k: v for k, v in figures.items() if v is not None},
    )  # fmt: skip
    info = {"train_years": [int(years[0]), cut - 1], "test_years": [cut, int(years[-1])]}
    return row, info


def global_shap(pipeline: Pipeline, X: np.ndarray, names: tuple[str, ...]) -> dict[str, float]:
    """Mean absolute SHAP value per feature (``shap.LinearExplainer``, training-mean background)."""
    import shap

    scaled = pipeline[:-1].transform(X)
    explainer = shap.LinearExplainer(pipeline[-1], np.zeros((1, scaled.shape[1])))
    values = np.asarray(explainer.shap_values(scaled))
    return {n: float(v) for n, v in zip(names, np.abs(values).mean(axis=0), strict=True)}


def evaluate(
    data: TrainingSet,
    pipeline: Pipeline,
    model_id: str,
    folder: Path,
    rules: TrainingRules,
    policy: ReleasePolicy,
) -> dict[str, Any]:
    """The model's report as JSON-ready data; plots written in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    # The stricter of the desk's policy and the node's training rules.
    policy = replace(policy, min_persons=max(policy.min_persons, rules.threshold))
    p = out_of_fold(data)
    threshold = round(float(data.y.mean()), 2) or 0.05  # operating point: flag above prevalence
    overall = MetricRow("overall", data.persons, int(data.y.sum()),
                        _overall(data.y, p, data.groups, threshold))  # fmt: skip
    subgroup_rows, frames = _subgroups(data, p, threshold)
    temporal_row, temporal = _temporal(data)
    shap_values = global_shap(pipeline, data.X, data.feature_names)
    overall_with_shap = MetricRow(overall.subgroup, overall.persons, overall.events,
                                  {**overall.metrics, **{f"shap_{k}": v for k, v in shap_values.items()}})  # fmt: skip
    rows = (overall_with_shap, *subgroup_rows, *([temporal_row] if temporal_row else []))
    population = Population(f"model {model_id}: training set", data.persons)
    report = check_output(
        Output("model_metrics", "model_metrics", ModelMetrics(model_id, rows), population), policy
    )
    released: dict[str, dict[str, float | None]] = {}
    for subgroup, name, value in report.rows:
        released.setdefault(subgroup, {})[name] = _clean(value)
    top = released.get("overall", {})
    shown = top.get("auroc") is not None or top.get("brier") is not None
    cal = m.calibration(data.y, p, max(1, min(5, data.persons // rules.threshold)))
    warnings = [
        f"subgroup {r.subgroup}: too few persons, events or non-events to judge; figures withheld"
        for r in rows if released.get(r.subgroup) and all(v is None for v in released[r.subgroup].values())
    ]  # fmt: skip
    curve: dict[str, list[float]] = {k: [top.get(f"{prefix}_{t:.2f}") or 0.0 for t in m.THRESHOLDS]
             for k, prefix in (("model", "net_benefit"), ("treat_all", "treat_all"))}  # fmt: skip
    full_curve = ({"thresholds": list(m.THRESHOLDS), **curve,
                   "treat_none": [0.0] * len(m.THRESHOLDS)} if shown else None)  # fmt: skip
    importance = {k: float(v) for k in shap_values if (v := top.get(f"shap_{k}")) is not None}
    bins = [b for b in cal.bins if b[2] >= rules.threshold] if shown else None
    plots = {
        "calibration": calibration_plot(bins, folder / "calibration_cv.png").name,
        "decision_curve": decision_curve_plot(full_curve, folder / "decision_curve.png").name,
        "importance": importance_plot(importance or None, folder / "importance.png").name,
    }
    return {
        "model_id": model_id,
        "validation": VALIDATION,
        "counts": {
            "persons": rules.count(data.persons),
            "rows": rules.count(len(data.y)),
            "events": rules.count(int(data.y.sum())),
        },
        "discrimination": {
            "auroc": top.get("auroc"),
            "ci95": [top.get("auroc_ci_low"), top.get("auroc_ci_high")],
            "bootstrap": "500 person resamples",
        },
        "calibration": {
            k: top.get(k)
            for k in (
                "calibration_intercept",
                "calibration_slope",
                "ece",
                "brier",
                "mean_predicted",
                "observed_rate",
            )
        },
        "operating_point": {
            "threshold": threshold,
            **{k[3:]: v for k, v in top.items() if k.startswith("op_")},
        },
        "decision_curve": full_curve,
        "subgroups": {k: v for k, v in released.items() if k not in ("overall", "temporal")},
        "gaps": _gaps(frames, released),
        "explanations": {
            "method": "SHAP LinearExplainer (exact for this linear model)",
            "global_mean_abs_shap": importance,
        },
        "temporal": {**temporal, **released.get("temporal", {})},
        "checks": [c.as_dict() for c in report.checks],
        "warnings": warnings,
        "plots": plots,
    }


def _gaps(frames: dict[str, Any], released: dict[str, dict[str, float | None]]) -> dict[str, Any]:
    """Largest difference and smallest ratio between groups, only if every group was released."""
    gaps: dict[str, Any] = {}
    for attribute, frame in frames.items():
        groups = [f"{attribute}={g}" for g in frame.by_group.index]
        if all(released.get(g, {}).get("auroc") is not None for g in groups):
            gaps[attribute] = {
                "difference": {k: _clean(v) for k, v in frame.difference().items()},
                "ratio": {k: _clean(v) for k, v in frame.ratio().items()},
            }
        else:
            gaps[attribute] = {"withheld": "some groups are too small to compare"}
    return gaps
