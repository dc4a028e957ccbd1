"""Automatic output checks: each rule, secondary suppression, and agreement with ACRO."""

from __future__ import annotations

import itertools
import logging
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socle.release import (
    Check,
    CheckReport,
    MetricRow,
    ModelMetrics,
    Output,
    Population,
    Regression,
    check_output,
    counts_table,
    frequency_table,
    histogram,
    kaplan_meier,
    load_policy,
    magnitude_table,
    statistics,
)
from socle.release.errors import ReleaseError

POLICY = load_policy()
EVERYONE = Population("test population", 1000)


def _check(kind: str, content: object) -> CheckReport:
    return check_output(Output("t", kind, content, EVERYONE), POLICY)  # type: ignore[arg-type]


def _by_name(report: CheckReport) -> dict[str, Check]:
    return {c.name: c for c in report.checks}


def test_small_count_is_suppressed_and_its_complement_too() -> None:
    report = _check("frequency_table", counts_table(["sex"], [("F", 4), ("M", 40), ("U", 30)]))
    released = {r[0]: r[1] for r in report.rows}
    assert released["F"] is None
    assert released["U"] is None  # otherwise F = All - M - U
    assert released == {"F": None, "M": 40, "U": None, "All": 75}
    assert report.status == "review"
    assert _by_name(report)["threshold"].reason.startswith("1 cell(s) with fewer than 10")


def test_zero_cells_of_the_full_grid_are_suppressed() -> None:
    grid = counts_table(["age", "sex"], [("18-44", "F", 30), ("18-44", "M", 40), ("65+", "F", 25)])
    report = _check("frequency_table", grid)
    released = {r[:2]: r[2] for r in report.rows}
    assert released[("65+", "M")] is None  # absent combination = a zero cell
    assert _by_name(report)["zeros"].cells == 1


def test_released_counts_are_rounded_to_the_policy_base() -> None:
    report = _check("frequency_table", counts_table(["sex"], [("F", 23), ("M", 41)]))
    assert [r[1] for r in report.rows] == [25, 40, 65]
    assert report.status == "pass"


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(0, 40), min_size=6, max_size=20).flatmap(
        lambda v: st.tuples(
            st.just(v), st.sampled_from([n for n in (2, 3, 4, 5) if len(v) % n == 0] or [1])
        )
    )
)
def test_no_suppressed_cell_can_be_recovered_from_its_line(case: tuple[list[int], int]) -> None:
    values, cols = case
    rows = [(str(i // cols), str(i % cols), v) for i, v in enumerate(values)]
    report = _check("frequency_table", counts_table(["r", "c"], rows))
    hidden = np.array([r[2] is None for r in report.rows]).reshape(
        len(values) // cols + 1, cols + 1
    )
    for axis in (0, 1):
        assert not (hidden.sum(axis=axis) == 1).any()


def test_dominated_magnitude_cell_is_suppressed() -> None:
    columns: dict[str, list[str] | list[float]] = {
        "unit": ["a"] * 12 + ["b"] * 12,
        "cost": [1.0] * 11 + [500.0] + [10.0] * 12,
    }
    report = _check("magnitude_table", magnitude_table(columns, ["unit"], "cost"))
    released = {r[0]: r[1] for r in report.rows}
    assert released["a"] is None
    assert _by_name(report)["nk_dominance"].cells == 1


def test_p_percent_rule_catches_two_large_contributors() -> None:
    # With k = 97%: the top two make 96% (N-K passes), the rest is 8% of the largest (< p = 10%).
    policy = replace(POLICY, safe_nk_k=0.97)
    costs = [500.0, 500.0] + [4.0] * 10 + [10.0] * 12
    grid = magnitude_table({"unit": ["a"] * 12 + ["b"] * 12, "cost": costs}, ["unit"], "cost")
    checks = _by_name(check_output(Output("t", "magnitude_table", grid, EVERYONE), policy))
    assert checks["nk_dominance"].cells == 0
    assert checks["p_percent"].cells == 1


def test_negative_values_need_review() -> None:
    grid = magnitude_table({"u": ["a"] * 12, "x": [-5.0] + [10.0] * 11}, ["u"], "x", "mean")
    assert _by_name(_check("magnitude_table", grid))["negatives"].status == "review"


def test_min_and_max_from_a_single_person_are_withheld() -> None:
    stats = statistics([1.0, 2, 2, 3, 3, 3, 4, 4, 5, 5, 5, 99], variable="bmi")
    report = _check("statistics", stats)
    [row] = report.rows
    _, n, mean, _, _, low, high, median = row
    assert n == 12 and mean == pytest.approx(136 / 12)
    assert low is None and high is None  # 1 and 99: one person each
    assert median is None  # 3.5: no person has it (mean of two)
    assert _by_name(report)["single_person_extremes"].cells == 3


def test_statistics_of_a_small_group_are_suppressed() -> None:
    report = _check(
        "statistics", statistics([5.0] * 20 + [6.0] * 4, ["a"] * 20 + ["b"] * 4, variable="x")
    )
    rows = {r[0]: r for r in report.rows}
    assert rows["b"][1:] == (None,) * 7
    assert rows["a"][5] == 5.0  # twenty persons share the minimum


def test_regression_with_few_residual_degrees_of_freedom_fails() -> None:
    rows = (("const", 1.0, 0.1, 0.01, 0.8, 1.2),)
    reg = Regression("ols", ("term", "coef", "std_err", "p_value", "ci_low", "ci_high"), rows, 7, 9)
    report = _check("regression", reg)
    assert report.status == "fail"
    assert "residual degrees of freedom 7 < 10" in _by_name(report)["residual_dof"].reason


def test_regression_output_must_be_coefficients_only() -> None:
    reg = Regression("ols", ("term", "coef", "residual"), (("x", 1.0, 0.3),), 500, 502)
    assert _by_name(_check("regression", reg))["coefficients_only"].status == "fail"


def test_statsmodels_fit_is_checked_on_its_residual_dof() -> None:
    import statsmodels.api as sm

    from socle.release import regression_from_statsmodels

    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 2))
    y = x @ np.array([1.0, -2.0]) + rng.normal(size=40)
    reg = regression_from_statsmodels(sm.OLS(y, sm.add_constant(x)).fit(), "ols")
    assert reg.residual_dof == 37
    assert _check("regression", reg).status == "pass"


def test_histogram_small_bins_suppressed_and_edges_reviewed() -> None:
    values = list(np.repeat([1.0, 5.0, 9.0], [30, 3, 40]))
    report = _check("histogram", histogram(values, [0, 4, 8, 12], variable="x"))
    assert [r[2] for r in report.rows] == [30, None, 40]
    assert _by_name(report)["extreme_bins"].status == "review"


def test_survival_curve_is_cut_where_few_are_at_risk() -> None:
    durations = list(range(1, 31))
    report = _check("survival", kaplan_meier(durations, [True] * 30))
    assert max(r[0] for r in report.rows) == 21  # at time 22 only 9 remain at risk
    assert _by_name(report)["at_risk_threshold"].mitigated


def test_model_metrics_need_enough_persons_and_events() -> None:
    metrics = ModelMetrics(
        "m1",
        (
            MetricRow("overall", 400, 60, {"auroc": 0.71}),
            MetricRow("women 80+", 30, 4, {"auroc": 0.9}),
        ),
    )
    report = _check("model_metrics", metrics)
    assert report.rows == (("overall", "auroc", 0.71), ("women 80+", "auroc", None))
    assert report.status == "review"
    too_few = ModelMetrics("m1", (MetricRow("overall", 40, 5, {"auroc": 0.8}),))
    assert _check("model_metrics", too_few).status == "fail"


def test_policy_file_with_an_unknown_setting_is_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "policy.toml"
    bad.write_text("[tables]\nsafe_threshold = 5\nsafe_treshold = 3\n")
    with pytest.raises(ReleaseError, match="unknown setting"):
        load_policy(bad)
    good = tmp_path / "ok.toml"
    good.write_text("[tables]\nsafe_threshold = 5\n")
    assert load_policy(good).safe_threshold == 5


def test_table_masks_agree_with_acro() -> None:
    """Our vectorised rules flag exactly the cells ACRO flags (threshold, N-K, p%)."""
    import pandas as pd

    logging.disable(logging.CRITICAL)
    try:
        from acro import ACRO

        rng = np.random.default_rng(7)
        n = 600
        df = pd.DataFrame({"a": rng.integers(0, 5, n).astype(str), "b": rng.integers(0, 6, n).astype(str),
                           "v": rng.gamma(2.0, 10.0, n)})  # fmt: skip
        df.loc[df.index[:4], "v"] = 50_000.0  # dominated cells
        df.loc[df.index[4:6], "v"] = [900.0, 880.0]  # p% without N-K
        acro = ACRO(suppress=False)
        acro.crosstab(df.a, df.b, values=df.v, aggfunc="sum")
        result = acro.results.results[list(acro.results.results)[-1]]
        theirs = {tuple(c) for name in ("MinimumThresholdCheck", "NKCheck", "PPercentCheck")
                  for c in result.sdc["cells"][name]}  # fmt: skip
    finally:
        logging.disable(logging.NOTSET)
    grid = magnitude_table({c: df[c].to_numpy() for c in df}, ["a", "b"], "v")
    report = _check("magnitude_table", grid)
    assert report.table is not None
    inner = report.table.primary[: grid.shape[0], : grid.shape[1]]
    ours = {(int(i), int(j)) for i, j in itertools.product(*map(range, grid.shape)) if inner[i, j]}
    assert theirs and ours == theirs


def test_ten_thousand_cell_table_is_built_and_checked() -> None:
    rng = np.random.default_rng(0)
    columns = {"a": rng.integers(0, 100, 50_000), "b": rng.integers(0, 100, 50_000)}
    report = _check("frequency_table", frequency_table(columns, ["a", "b"]))
    assert report.table is not None and report.table.values.shape == (101, 101)
