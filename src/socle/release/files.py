"""A job's output file as an :class:`Output`: a CSV and the metadata saying what it is.

Jobs run sandboxed and write files to their output folder; each file the
researcher wants released comes with metadata (a JSON sidecar, or the job
runner's record)::

    {"kind": "frequency_table", "dims": ["age_band", "sex"], "count": "persons"}
    {"kind": "magnitude_table", "dims": ["unit"], "statistic": "sum"}   # evidence columns below
    {"kind": "regression", "model": "logit", "residual_dof": 812, "observations": 815}
    {"kind": "histogram"}            # columns: from, to, count
    {"kind": "survival"}             # columns: time, at_risk, events, survival
    {"kind": "model_metrics", "model_id": "m-1"}  # columns: subgroup, persons, events, metric, value

A magnitude table read from a file must carry its evidence per cell (columns
``n``, ``sum``, ``top1``, ``top2``, ``topn``, ``negatives``), as ACRO's
``agg_*`` functions compute it; without them the file is refused (the desk
cannot check dominance on a total alone). Any other file (a plot, a log, free
text) has no automatic check and is refused here.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from socle.release.errors import OutputError
from socle.release.grid import Grid, counts_table
from socle.release.outputs import (
    Histogram,
    MetricRow,
    ModelMetrics,
    Output,
    Population,
    Regression,
    SurvivalCurve,
)

EVIDENCE = ("n", "sum", "top1", "top2", "topn", "negatives")


def _read(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    try:
        with path.open(newline="") as f:
            reader = csv.DictReader(f)
            rows = list(reader)
            return list(reader.fieldnames or []), rows
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise OutputError(f"{path.name}: cannot be read as CSV ({exc})") from exc


def _need(path: Path, columns: list[str], wanted: tuple[str, ...] | list[str]) -> None:
    missing = [c for c in wanted if c not in columns]
    if missing:
        raise OutputError(f"{path.name}: missing column(s) {', '.join(missing)}")


def _num(path: Path, i: int, row: Mapping[str, str], column: str) -> float:
    try:
        return float(row[column])
    except (TypeError, ValueError) as exc:
        raise OutputError(f"{path.name}, row {i}: column {column!r} is not a number") from exc


def _magnitude(path: Path, dims: list[str], rows: list[dict[str, str]], statistic: str) -> Grid:
    levels = [tuple(sorted({r[d] for r in rows})) for d in dims]
    shape = tuple(len(lv) for lv in levels)
    arrays = {c: np.zeros(shape) for c in EVIDENCE}
    index = [{lv: k for k, lv in enumerate(levels[a])} for a in range(len(dims))]
    for i, r in enumerate(rows, 1):
        cell = tuple(index[a][r[d]] for a, d in enumerate(dims))
        for c in EVIDENCE:
            arrays[c][cell] = _num(path, i, r, c)
    return Grid(
        tuple(dims), tuple(levels), "value", statistic,  # type: ignore[arg-type]
        arrays["n"], arrays["sum"], arrays["top1"], arrays["top2"], arrays["topn"],
        arrays["negatives"],
    )  # fmt: skip


def output_from_file(
    path: Path,
    meta: Mapping[str, Any],
    *,
    population: Population,
    provenance: Mapping[str, str] | None = None,
) -> Output:
    """The output a job's file stands for, with the evidence its metadata declares."""
    kind = str(meta.get("kind", ""))
    name = path.stem
    columns, rows = _read(path)
    content: Any
    if kind == "frequency_table":
        dims, count = list(meta.get("dims", [])), str(meta.get("count", "persons"))
        _need(path, columns, [*dims, count])
        content = counts_table(
            dims, [(*(r[d] for d in dims), r[count]) for r in rows], measure=count
        )
    elif kind == "magnitude_table":
        dims = list(meta.get("dims", []))
        _need(path, columns, [*dims, *EVIDENCE])
        content = _magnitude(path, dims, rows, str(meta.get("statistic", "sum")))
    elif kind == "regression":
        if "residual_dof" not in meta:
            raise OutputError(f"{path.name}: a regression needs its residual_dof in the metadata")
        content = Regression(
            str(meta.get("model", "ols")), tuple(columns),
            tuple(tuple(r[c] for c in columns) for r in rows), int(meta["residual_dof"]),
            int(meta.get("observations", 0)),
        )  # fmt: skip
    elif kind == "histogram":
        _need(path, columns, ("from", "to", "count"))
        edges = [_num(path, i, r, "from") for i, r in enumerate(rows, 1)]
        edges.append(_num(path, len(rows), rows[-1], "to") if rows else 0.0)
        counts = tuple(int(_num(path, i, r, "count")) for i, r in enumerate(rows, 1))
        content = Histogram(str(meta.get("variable", name)), tuple(edges), counts)
    elif kind == "survival":
        cols = ("time", "at_risk", "events", "survival")
        _need(path, columns, cols)
        values = [[_num(path, i, r, c) for c in cols] for i, r in enumerate(rows, 1)]
        content = SurvivalCurve(
            tuple(v[0] for v in values), tuple(int(v[1]) for v in values),
            tuple(int(v[2]) for v in values), tuple(v[3] for v in values),
        )  # fmt: skip
    elif kind == "model_metrics":
        _need(path, columns, ("subgroup", "persons", "events", "metric", "value"))
        groups: dict[str, tuple[int, int, dict[str, float]]] = {}
        for i, r in enumerate(rows, 1):
            persons, events = int(_num(path, i, r, "persons")), int(_num(path, i, r, "events"))
            groups.setdefault(r["subgroup"], (persons, events, {}))[2][r["metric"]] = _num(
                path, i, r, "value"
            )
        content = ModelMetrics(
            str(meta.get("model_id", name)),
            tuple(MetricRow(g, p, e, m) for g, (p, e, m) in groups.items()),
        )
    else:
        raise OutputError(
            f"{path.name}: kind {kind!r} has no automatic check; declare one of frequency_table, "
            "magnitude_table, regression, histogram, survival, model_metrics"
        )
    return Output(name, kind, content, population, dict(provenance or {}))  # type: ignore[arg-type]
