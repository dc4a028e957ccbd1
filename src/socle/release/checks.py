"""Automatic output checks, one function per kind of output, with ACRO's semantics.

Each rule cites its source. ACRO (SACRO, ``acro/sdcchecks.py``, acro 1.0.2):
minimum threshold, N-K dominance, p%-rule, zeros, negatives, residual
degrees of freedom, survival thresholds. The SDC handbook (Hundepool et al.,
2010/2024): secondary suppression, min/max/median from one unit. OpenSAFELY
output-checking guidance: model metrics on enough persons and events.

A check says ``pass``, ``review`` (a checker must look) or ``fail``; a fail
that suppression repairs is ``mitigated`` and the output may still be
requested — what leaves is the suppressed version. An unmitigated fail stops
the output unless the researcher asks for an exception.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from socle.release.errors import OutputError
from socle.release.extracts import PYCANON, AnonymisedExtract, verify
from socle.release.grid import Grid
from socle.release.outputs import (
    COEFFICIENT_COLUMNS,
    Histogram,
    ModelMetrics,
    Output,
    Regression,
    Statistics,
    SurvivalCurve,
)
from socle.release.policy import ReleasePolicy
from socle.release.suppression import Suppressed, suppress

Status = Literal["pass", "review", "fail"]


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    reason: str
    cells: int = 0
    mitigated: bool = False
    source: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "status": self.status, "reason": self.reason, "cells": self.cells,
            "mitigated": self.mitigated, "source": self.source,
        }  # fmt: skip


@dataclass(frozen=True)
class CheckReport:
    """What the researcher sees before asking for release, and the checkers after."""

    output: str
    kind: str
    checks: tuple[Check, ...]
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]  # what would leave (suppressed entries are None)
    table: Suppressed | None = field(default=None, compare=False)

    @property
    def status(self) -> Status:
        if any(c.status == "fail" and not c.mitigated for c in self.checks):
            return "fail"
        if any(c.status != "pass" for c in self.checks):
            return "review"
        return "pass"

    def as_dict(self) -> dict[str, Any]:
        return {
            "output": self.output, "kind": self.kind, "status": self.status,
            "checks": [c.as_dict() for c in self.checks],
        }  # fmt: skip


ACRO = "ACRO (SACRO) sdcchecks"
HANDBOOK = "SDC handbook"
OPENSAFELY = "OpenSAFELY output checking"


def _flag(name: str, mask: np.ndarray, what: str, source: str, *, mitigated: bool = True) -> Check:
    n = int(mask.sum())
    if n == 0:
        return Check(name, "pass", f"no cell {what}", 0, False, source)
    return Check(name, "fail", f"{n} cell(s) {what}; suppressed", n, mitigated, source)


FREE_TEXT_COLUMNS = frozenset({"note_text", "snippet"})
MAX_LABEL = 80  # characters: a longer category label is free text, not a category


def check_free_text(grid: Grid) -> list[Check]:
    """A table never carries note text: not as a dimension, not as a category label."""
    text = [
        dim
        for dim, levels in zip(grid.dims, grid.levels, strict=True)
        if dim in FREE_TEXT_COLUMNS or any(len(lv) > MAX_LABEL or "\n" in lv for lv in levels)
    ]
    if not text:
        return []
    return [
        Check(
            "free_text", "fail", f"dimension(s) {', '.join(text)} carry free text: note text "
            "never leaves the workspace (publish aggregates or model outputs)", 0, False,
            "Socle policy (docs/notes.md)",
        )
    ]  # fmt: skip


def check_table(grid: Grid, policy: ReleasePolicy) -> tuple[list[Check], Suppressed]:
    """Free text; threshold, zeros, dominance (N-K, p%), negatives; suppression and margins."""
    t = policy.safe_threshold
    small = (grid.count < t) & (grid.count > 0)
    zeros = grid.count == 0
    checks = check_free_text(grid)
    checks.append(_flag("threshold", small, f"with fewer than {t} persons", ACRO))
    primary = small.copy()
    if policy.zeros_are_disclosive:
        checks.append(
            _flag(
                "zeros",
                zeros,
                "equal to zero (a zero discloses that nobody has the attribute)",
                ACRO,
            )
        )
        primary |= zeros
    if grid.magnitude:
        assert grid.top1 is not None and grid.top2 is not None and grid.topn is not None
        assert grid.negatives is not None
        if grid.negatives.sum() > 0:
            checks.append(
                Check(
                    "negatives", "review", f"{int((grid.negatives > 0).sum())} cell(s) hold "
                    "negative values; dominance is not defined for them", 0, False, ACRO,
                )
            )  # fmt: skip
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(grid.total > 0, grid.topn / grid.total, 0.0)
            rest = np.where(grid.top1 > 0, (grid.total - grid.top1 - grid.top2) / grid.top1, 1.0)
        nk = (share >= policy.safe_nk_k) & ~primary
        checks.append(
            _flag(
                "nk_dominance", nk, f"where the {policy.safe_nk_n} largest contributors make "
                f"{policy.safe_nk_k:.0%} or more of the total", ACRO,
            )
        )  # fmt: skip
        pp = (rest < policy.safe_pratio_p) & ~primary & ~nk
        checks.append(
            _flag(
                "p_percent", pp, f"where the others sum to less than {policy.safe_pratio_p:.0%} "
                "of the largest contribution", ACRO,
            )
        )  # fmt: skip
        primary |= nk | pp
    table = suppress(grid, primary, round_base=policy.safe_round_base, threshold=t)
    if table.secondary_cells:
        checks.append(
            Check(
                "secondary_suppression", "review", f"{table.secondary_cells} more entr(ies) "
                "hidden so no suppressed cell can be recovered from margins", table.secondary_cells,
                True, HANDBOOK,
            )
        )  # fmt: skip
    if all(v is None for v in table.released.flat):
        checks.append(
            Check("all_suppressed", "review", "every cell is suppressed: the table tells nothing",
                  0, True, ACRO)
        )  # fmt: skip
    return checks, table


def check_statistics(
    stats: Statistics, policy: ReleasePolicy
) -> tuple[list[Check], list[tuple[Any, ...]]]:
    """Means and sums need enough contributors; min/max/median may not come from one person."""
    t, checks, rows = policy.safe_threshold, [], []
    few = single = dominated = 0
    for r in stats.rows:
        hide_all = r.n < t
        dom = (
            r.sum > 0
            and r.negatives == 0
            and (
                r.topn / r.sum >= policy.safe_nk_k
                or (r.sum - r.top1 - r.top2) / r.top1 < policy.safe_pratio_p
            )
        )
        few += hide_all
        dominated += bool(dom) and not hide_all

        def one(value: float, persons: int, hidden: bool = hide_all) -> float | None:
            nonlocal single
            if hidden:
                return None
            if persons < 2:
                single += 1
                return None
            return value

        rows.append(
            (
                r.group, None if hide_all else r.n, None if hide_all else r.mean,
                None if hide_all or dom else r.sum, None if hide_all else r.sd,
                one(r.min, r.persons_at_min), one(r.max, r.persons_at_max),
                one(r.median, r.persons_at_median),
            )
        )  # fmt: skip
    checks.append(
        Check("threshold", "fail" if few else "pass", f"{few} group(s) of fewer than {t} persons"
              + ("; suppressed" if few else ""), few, True, ACRO)
    )  # fmt: skip
    checks.append(
        Check("single_person_extremes", "fail" if single else "pass", f"{single} min/max/median "
              "value(s) come from a single person" + ("; suppressed" if single else ""), single,
              True, HANDBOOK)
    )  # fmt: skip
    checks.append(
        Check("sum_dominance", "fail" if dominated else "pass", f"{dominated} sum(s) dominated by "
              "their largest contributors" + ("; suppressed" if dominated else ""), dominated,
              True, ACRO)
    )  # fmt: skip
    return checks, rows


def check_regression(reg: Regression, policy: ReleasePolicy) -> list[Check]:
    extra = sorted(set(reg.columns) - COEFFICIENT_COLUMNS)
    checks = [
        Check(
            "residual_dof", "fail" if reg.residual_dof < policy.safe_dof_threshold else "pass",
            f"residual degrees of freedom {reg.residual_dof} "
            f"{'<' if reg.residual_dof < policy.safe_dof_threshold else '>='} "
            f"{policy.safe_dof_threshold}", 0, False, ACRO,
        ),
        Check(
            "coefficients_only", "fail" if extra else "pass",
            f"columns other than coefficients: {', '.join(extra)}" if extra
            else "coefficient table only (no residuals or fitted values)", 0, False, ACRO,
        ),
    ]  # fmt: skip
    return checks


def check_histogram(
    h: Histogram, policy: ReleasePolicy
) -> tuple[list[Check], list[tuple[Any, ...]]]:
    t = policy.safe_threshold
    small = [0 < c < t for c in h.counts]
    rows = [
        (
            h.edges[i],
            h.edges[i + 1],
            None if small[i] else int(round(c / policy.safe_round_base) * policy.safe_round_base),
        )
        for i, c in enumerate(h.counts)
    ]
    n = sum(small)
    checks = [
        Check("threshold", "fail" if n else "pass", f"{n} bin(s) of fewer than {t} persons"
              + ("; suppressed" if n else ""), n, True, ACRO),
        Check("extreme_bins", "review", "check the outer bin edges do not disclose the "
              "smallest or largest value", 0, False, ACRO),
    ]  # fmt: skip
    return checks, rows


def check_survival(
    curve: SurvivalCurve, policy: ReleasePolicy
) -> tuple[list[Check], list[tuple[Any, ...]]]:
    """Truncate where fewer than the threshold are at risk; steps of few events need review."""
    t = policy.survival_safe_threshold
    rows, cut, lonely = [], 0, 0
    for time, risk, events, surv in zip(
        curve.times, curve.at_risk, curve.events, curve.survival, strict=True
    ):
        if risk < t:
            cut += 1
            continue
        lonely += events < t
        rows.append(
            (time, int(round(risk / policy.safe_round_base) * policy.safe_round_base), surv)
        )
    checks = [
        Check("at_risk_threshold", "fail" if cut else "pass", f"{cut} step(s) with fewer than {t} "
              "persons at risk" + ("; curve truncated" if cut else ""), cut, True, ACRO),
        Check("single_event_steps", "review" if lonely else "pass", f"{lonely} step(s) of fewer "
              f"than {t} events: report at coarser times if a step reveals one person's event",
              lonely, False, HANDBOOK),
    ]  # fmt: skip
    if not rows:
        checks.append(
            Check("all_suppressed", "fail", "no step has enough persons at risk", 0, False, ACRO)
        )
    return checks, rows


def check_metrics(
    m: ModelMetrics, policy: ReleasePolicy
) -> tuple[list[Check], list[tuple[Any, ...]]]:
    """A metric is released only when computed on enough persons, events and non-events."""
    rows, low = [], []
    for r in m.rows:
        ok = (
            r.persons >= policy.min_persons and r.events >= policy.min_events
            and r.persons - r.events >= policy.min_events
        )  # fmt: skip
        if not ok:
            low.append(r.subgroup)
        for name, value in sorted(r.metrics.items()):
            rows.append((r.subgroup, name, float(value) if ok else None))
    overall_low = any(r.subgroup == "overall" for r in m.rows if r.subgroup in low)
    checks = [
        Check(
            "persons_and_events", "fail" if low else "pass",
            f"{len(low)} group(s) computed on fewer than {policy.min_persons} persons or "
            f"{policy.min_events} events/non-events: {', '.join(low)}" if low
            else "every figure rests on enough persons and events",
            len(low), not overall_low, OPENSAFELY,
        )
    ]  # fmt: skip
    return checks, rows


Checker = Callable[[Output, ReleasePolicy], CheckReport]


def _report(
    output: Output,
    checks: Iterable[Check],
    columns: tuple[str, ...],
    rows: Iterable[tuple[Any, ...]],
    table: Suppressed | None = None,
) -> CheckReport:
    return CheckReport(output.name, output.kind, tuple(checks), columns, tuple(rows), table)


def check_output(output: Output, policy: ReleasePolicy) -> CheckReport:
    """Run the checks of the output's kind and return the report with the releasable version."""
    c = output.content
    if isinstance(c, Grid) and output.kind in ("frequency_table", "magnitude_table"):
        if (output.kind == "magnitude_table") != c.magnitude:
            raise OutputError(
                f"output {output.name}: a {output.kind} needs a {'magnitude' if c.magnitude else 'count'} grid"
            )
        checks, table = check_table(c, policy)
        value = "persons" if c.statistic == "count" else f"{c.statistic}_{c.measure}"
        return _report(output, checks, (*c.dims, value), table.rows(), table)
    if isinstance(c, Statistics) and output.kind == "statistics":
        checks, rows = check_statistics(c, policy)
        return _report(
            output, checks, ("group", "n", "mean", "sum", "sd", "min", "max", "median"), rows
        )
    if isinstance(c, Regression) and output.kind == "regression":
        return _report(output, check_regression(c, policy), c.columns, c.rows)
    if isinstance(c, Histogram) and output.kind == "histogram":
        checks, rows = check_histogram(c, policy)
        return _report(output, checks, ("from", "to", "persons"), rows)
    if isinstance(c, SurvivalCurve) and output.kind == "survival":
        checks, rows = check_survival(c, policy)
        return _report(output, checks, ("time", "at_risk", "survival"), rows)
    if isinstance(c, ModelMetrics) and output.kind == "model_metrics":
        checks, rows = check_metrics(c, policy)
        return _report(output, checks, ("subgroup", "metric", "value"), rows)
    if isinstance(c, AnonymisedExtract) and output.kind == "anonymised_extract":
        return _report(output, check_extract(c, policy), c.columns, c.rows)
    raise OutputError(f"output {output.name}: kind {output.kind!r} does not match its content")


def check_extract(extract: AnonymisedExtract, policy: ReleasePolicy) -> list[Check]:
    """k, l and t as pyCANON measures them on the rows that would leave; suppression; risk."""
    v = verify(extract, policy)
    k, l, t = policy.extract_k, policy.extract_l, policy.extract_t
    share = extract.suppressed / extract.records if extract.records else 0.0

    def rule(name: str, ok: bool, met: str, missed: str) -> Check:
        return Check(name, "pass" if ok else "fail", met if ok else missed, 0, False, PYCANON)

    return [
        rule("k_anonymity", v.k >= k, f"every class has at least {v.k} records (k={k})",
             f"a class has {v.k} record(s), fewer than k={k}"),
        rule("l_diversity", v.l >= l, f"each class has {v.l}+ values of each sensitive attribute",
             f"a class has {v.l} value(s) of a sensitive attribute, fewer than l={l}"),
        rule("t_closeness", v.t <= t + 1e-9, f"t={v.t:.3f} within {t:g}",
             f"a class's distribution is t={v.t:.3f} from the extract's, above {t:g}"),
        Check("suppression", "pass" if share <= policy.extract_max_suppression + 1e-12 else "fail",
              f"{extract.suppressed} of {extract.records} records suppressed ({share:.1%}, policy "
              f"{policy.extract_max_suppression:.0%}); information loss (NCP) {extract.loss:.3f}, "
              f"least of {extract.generalisations:,} generalisations ({extract.evaluated:,} "
              f"evaluated, the rest pruned)",
              extract.suppressed, False, "Socle release policy"),
        Check("reidentification_risk", "pass" if v.at_risk == 0 else "review",
              f"prosecutor risk highest {v.prosecutor_max:.3f}, mean {v.prosecutor_mean:.3f} "
              f"(marketer {v.prosecutor_mean:.3f}); {v.at_risk:.1%} of records above 1/k; "
              f"{v.classes} classes", 0, False, PYCANON),
    ]  # fmt: skip
