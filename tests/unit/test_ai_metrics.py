"""The figures of a model's evaluation agree with reference implementations."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from socle.ai import metrics as m
from socle.ai.definitions import DefinitionError, load_definitions, parse_definition


def _calibrated(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    p = rng.uniform(0.02, 0.9, n)
    return (rng.random(n) < p).astype(int), p


def test_auroc_equals_scikit_learn_with_ties() -> None:
    y, p = _calibrated(500)
    p = np.round(p, 1)  # many ties
    assert m.auroc(y, p) == pytest.approx(roc_auc_score(y, p))
    assert m.auroc(np.zeros(5, dtype=int), np.arange(5.0)) is None


def test_a_calibrated_score_has_slope_one_and_intercept_zero() -> None:
    y, p = _calibrated(20_000)
    cal = m.calibration(y, p, 10)
    assert cal.slope == pytest.approx(1.0, abs=0.08)
    assert cal.intercept == pytest.approx(0.0, abs=0.05)
    assert cal.ece < 0.03
    over = m.calibration(y, np.clip(p * 1.6, 0, 0.99), 10)
    assert over.intercept < -0.3 and over.ece > 0.1


def test_bootstrap_interval_holds_the_estimate_and_narrows_with_data() -> None:
    y, p = _calibrated(400)
    groups = np.arange(len(y)) // 2  # two rows per person
    low, high = m.bootstrap_auroc(y, p, groups, reps=200)  # type: ignore[misc]
    assert low < m.auroc(y, p) < high  # type: ignore[operator]
    y2, p2 = _calibrated(4000)
    low2, high2 = m.bootstrap_auroc(y2, p2, np.arange(len(y2)) // 2, reps=200)  # type: ignore[misc]
    assert high2 - low2 < high - low


def test_net_benefit_of_treating_all_and_of_a_perfect_model() -> None:
    y = np.array([1, 0, 0, 0] * 25)
    curve = m.net_benefit(y, y.astype(float), (0.1, 0.2))
    assert curve["model"] == pytest.approx([0.25, 0.25])  # no false positives
    assert curve["treat_all"][0] == pytest.approx(0.25 - 0.75 * 0.1 / 0.9)
    at = m.at_threshold(y, y.astype(float), 0.5)
    assert at["sensitivity"] == at["specificity"] == at["ppv"] == 1.0


def test_definitions_are_data_and_malformed_ones_are_refused_by_name() -> None:
    found = load_definitions()
    assert {"hypertension-5y", "prediabetes-5y", "heart-failure-decompensation",
            "kidney-graft-outcome", "readmission-30d"} <= set(found)  # fmt: skip
    assert sum(d.status == "demo" for d in found.values()) >= 2
    base = {
        "title": "t", "outcome_label": "o", "status": "demo", "use": "u", "index": "yearly",
        "years": [2010, 2020], "min_age": 18, "cohort": [], "time_at_risk_days": [1, 30],
        "lookback_days": 30, "outcome": {"domain": "condition", "codes": ["SNOMED|1"]},
        "features": {"bmi": "LOINC|39156-5"},
    }  # fmt: skip
    assert parse_definition("ok", base).feature_names == ("age", "male", "bmi")
    injected = base | {"outcome": {"domain": "condition", "codes": ["SNOMED|1'); DROP--"]}}
    with pytest.raises(DefinitionError, match=r"'bad'.*VOCABULARY\|code"):
        parse_definition("bad", injected)
    with pytest.raises(DefinitionError, match="'late': time at risk"):
        parse_definition("late", base | {"time_at_risk_days": [30, 1]})
    with pytest.raises(DefinitionError, match="field 'use' is missing"):
        parse_definition("short", {k: v for k, v in base.items() if k != "use"})
