"""Release checks: time per output, tables of 10,000 cells, against ACRO and pandas baselines.

Figures printed (best of ``REPEAT`` runs, except ACRO: one run each, it is slow):

- each output kind, built from rows and checked (``check_output``): frequency and
  magnitude tables of 100 x 100 = 10,000 cells (plus margins, secondary
  suppression), descriptive statistics, a regression, a histogram, a survival
  curve, model metrics;
- differencing of a 10,000-cell table against five released ones;
- a DP histogram (OpenDP) over the same rows;
- baselines in the same run: ``pandas.crosstab`` alone (the table, no check) and
  ACRO 1.0.2's ``crosstab`` (table and checks) on the same rows.

Run: ``python benchmarks/run.py release`` (``SOCLE_BENCH_RELEASE_ROWS``, default 200,000).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from socle.release import (
    MetricRow,
    ModelMetrics,
    Output,
    Population,
    Regression,
    check_output,
    dp_histogram,
    find_differencing,
    frequency_table,
    histogram,
    kaplan_meier,
    load_policy,
    magnitude_table,
    statistics,
)
from socle.release.ledger import as_ledger_table, table_cells

ROWS = int(os.environ.get("SOCLE_BENCH_RELEASE_ROWS", "200000"))
REPEAT = 3
POLICY = load_policy()
EVERYONE = Population("benchmark population", ROWS)


def best(fn: Callable[[], Any], repeat: int = REPEAT) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def show(name: str, seconds: float, note: str = "") -> None:
    print(f"{name:<34} {seconds * 1000:>10.1f} ms  {note}", flush=True)


def main() -> None:
    rng = np.random.default_rng(42)
    a = rng.integers(0, 100, ROWS).astype(str)
    b = rng.integers(0, 100, ROWS).astype(str)
    cost = rng.gamma(2.0, 100.0, ROWS)
    columns = {"a": a, "b": b, "cost": cost}
    print(f"{ROWS:,} rows; tables of 100 x 100 = 10,000 cells\n")

    def table(kind: str, build: Callable[[], Any]) -> Callable[[], Any]:
        return lambda: check_output(Output("t", kind, build(), EVERYONE), POLICY)  # type: ignore[arg-type]

    freq_s, freq = best(table("frequency_table", lambda: frequency_table(columns, ["a", "b"])))
    show(
        "frequency table (10,000 cells)",
        freq_s,
        f"{freq.table.primary_cells} primary, {freq.table.secondary_cells} secondary suppressed",
    )
    mag_s, mag = best(
        table("magnitude_table", lambda: magnitude_table(columns, ["a", "b"], "cost", "sum"))
    )
    show(
        "magnitude table, sum (10,000)",
        mag_s,
        f"{mag.table.primary_cells} primary, {mag.table.secondary_cells} secondary suppressed",
    )
    grid = frequency_table(columns, ["a", "b"])
    only_s, _ = best(lambda: check_output(Output("t", "frequency_table", grid, EVERYONE), POLICY))
    show("  of which checks + suppression", only_s)

    for name, kind, build in (
        (
            "statistics (100 groups)",
            "statistics",
            lambda: statistics(cost, list(a), variable="cost"),
        ),
        ("histogram (50 bins)", "histogram", lambda: histogram(cost, 50, variable="cost")),
        (
            "survival curve (Kaplan-Meier)",
            "survival",
            lambda: kaplan_meier(np.round(cost[:20_000]), cost[:20_000] > 150),
        ),
        (
            "regression (coefficients)",
            "regression",
            lambda: Regression(
                "ols", ("term", "coef"), tuple((f"x{i}", 0.1) for i in range(50)), ROWS - 51, ROWS
            ),
        ),
        (
            "model metrics (20 subgroups)",
            "model_metrics",
            lambda: ModelMetrics(
                "m", tuple(MetricRow(f"g{i}", 5000, 500, {"auroc": 0.7}) for i in range(20))
            ),
        ),
    ):
        seconds, _ = best(table(kind, build))
        show(name, seconds)

    released = [
        as_ledger_table(
            f"rel-{i}", Population(f"p{i}", ROWS - i), table_cells(freq.table, "persons")
        )
        for i in range(5)
    ]
    new = as_ledger_table("", EVERYONE, table_cells(freq.table, "persons"))
    diff_s, findings = best(lambda: find_differencing(new, released, POLICY.safe_threshold))
    show("differencing vs 5 released tables", diff_s, f"{len(findings)} finding(s)")
    cats = [str(i) for i in range(100)]
    dp_s, _ = best(lambda: dp_histogram(list(a), cats, 1.0, confidence=0.95), repeat=1)
    show("DP histogram, 100 bins (OpenDP)", dp_s)

    import pandas as pd

    frame = pd.DataFrame(columns)
    pd_s, _ = best(lambda: pd.crosstab(frame.a, frame.b))
    show("baseline: pandas.crosstab only", pd_s, "(no check)")
    logging.disable(logging.CRITICAL)
    from acro import ACRO

    acro = ACRO(suppress=True)
    acro_count, _ = best(lambda: acro.crosstab(frame.a, frame.b), repeat=1)
    show(
        "baseline: ACRO crosstab (count)",
        acro_count,
        f"ratio ACRO / Socle = {acro_count / freq_s:.1f}x",
    )
    acro_sum, _ = best(
        lambda: acro.crosstab(frame.a, frame.b, values=frame.cost, aggfunc="sum"), repeat=1
    )
    show("baseline: ACRO crosstab (sum)", acro_sum, f"ratio ACRO / Socle = {acro_sum / mag_s:.1f}x")
    print(f"\nSocle frequency table: {freq_s / pd_s:.1f}x the cost of pandas.crosstab alone")


if __name__ == "__main__":
    main()
