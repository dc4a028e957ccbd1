"""The data-quality report of a load (Kahn framework: conformance, completeness, plausibility).

Written as JSON (for machines) and as one self-contained HTML page with
plots (for the steward). Only aggregates appear; no row leaves the warehouse.
"""

from __future__ import annotations

import base64
import io
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import orjson
from jinja2 import Environment, PackageLoader, select_autoescape

from socle.quality.dqd import CheckResult, run_checks
from socle.warehouse import (
    Warehouse,
    age_sex_pyramid,
    column_profiles,
    implausible_counts,
    temporal_coverage,
)

# Key fields whose completeness is reported (table, column).
KEY_FIELDS = [
    ("person", "year_of_birth"),
    ("person", "gender_concept_id"),
    ("visit_occurrence", "visit_end_date"),
    ("condition_occurrence", "condition_source_value"),
    ("condition_occurrence", "visit_occurrence_id"),
    ("measurement", "value_as_number"),
    ("measurement", "unit_source_value"),
    ("drug_exposure", "drug_source_value"),
]


@dataclass(frozen=True)
class QualityReport:
    generated_at: str
    row_counts: dict[str, int]
    completeness: dict[str, float]
    implausible: dict[str, int]
    coverage: tuple[str | None, str | None]
    pyramid: list[tuple[str, str, int]]
    checks: dict[str, dict[str, int]]  # DQD family → {passed, failed, not_applicable}
    failed_checks: list[dict[str, Any]]
    html_path: Path
    json_path: Path

    @property
    def passed(self) -> bool:
        return not any(self.implausible.values())


def build_report(wh: Warehouse, out_dir: Path, as_of: date | None = None) -> QualityReport:
    """Compute the checks and write ``quality.json`` and ``quality.html`` under ``out_dir``."""
    as_of = as_of or datetime.now(UTC).date()
    out_dir.mkdir(parents=True, exist_ok=True)
    profiles = {(p.table, p.column): p for p in column_profiles(wh)}
    completeness = {f"{t}.{c}": round(profiles[(t, c)].completeness, 4) for t, c in KEY_FIELDS}
    first, last = temporal_coverage(wh)
    pyramid = age_sex_pyramid(wh, as_of)
    results = run_checks(wh)
    report = QualityReport(
        generated_at=datetime.now(UTC).isoformat(timespec="seconds"),
        row_counts=wh.table_counts(),
        completeness=completeness,
        implausible=implausible_counts(wh, as_of),
        coverage=(first.isoformat() if first else None, last.isoformat() if last else None),
        pyramid=pyramid,
        checks=_families(results),
        failed_checks=[_row(r) for r in results if r.status == "failed"],
        html_path=out_dir / "quality.html",
        json_path=out_dir / "quality.json",
    )
    summary = {k: v for k, v in asdict(report).items() if not k.endswith("_path")}
    report.json_path.write_bytes(orjson.dumps(summary, option=orjson.OPT_INDENT_2))
    env = Environment(loader=PackageLoader("socle.quality"), autoescape=select_autoescape())
    html = env.get_template("quality.html.j2").render(
        report=report,
        pyramid_png=_png(_pyramid_figure(pyramid)),
        completeness_png=_png(_completeness_figure(completeness)),
        checks_png=_png(_checks_figure(report.checks)),
    )
    report.html_path.write_text(html)
    return report


def _families(results: list[CheckResult]) -> dict[str, dict[str, int]]:
    families: dict[str, dict[str, int]] = {}
    for r in results:
        counts = families.setdefault(
            r.check.category, {"passed": 0, "failed": 0, "not_applicable": 0}
        )
        counts[r.status] += 1
    return families


def _row(r: CheckResult) -> dict[str, Any]:
    c = r.check
    return {
        "check": c.name, "category": c.category, "level": c.level, "table": c.table,
        "field": c.field, "threshold_pct": c.threshold, "violated_rows": r.violated,
        "rows": r.denominator, "violated_pct": round(r.pct, 2), "description": c.description,
    }  # fmt: skip


def _checks_figure(families: dict[str, dict[str, int]]) -> Any:
    fig, ax = _pyplot().subplots(figsize=(6, 3))
    names = list(families)
    left = [0] * len(names)
    for status, color in (
        ("passed", "#228833"),
        ("failed", "#cc3311"),
        ("not_applicable", "#bbbbbb"),
    ):
        values = [families[n][status] for n in names]
        ax.barh(names, values, left=left, color=color, label=status.replace("_", " "))
        left = [a + b for a, b in zip(left, values, strict=True)]
    ax.set_xlabel("checks")
    ax.set_title("Data Quality Dashboard-style checks")
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig


def _pyplot() -> Any:
    """matplotlib's pyplot on the file-only backend, imported when a report is drawn."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _png(fig: Any) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90)
    _pyplot().close(fig)
    return base64.b64encode(buffer.getvalue()).decode()


def _pyramid_figure(pyramid: list[tuple[str, str, int]]) -> Any:
    bands = sorted({band for band, _, _ in pyramid})
    counts = {(band, sex): n for band, sex, n in pyramid}
    fig, ax = _pyplot().subplots(figsize=(6, 4))
    ax.barh(bands, [-counts.get((b, "M"), 0) for b in bands], color="#4477aa", label="male")
    ax.barh(bands, [counts.get((b, "F"), 0) for b in bands], color="#cc6677", label="female")
    ax.set_xlabel("persons (male left, female right)")
    ax.set_title("Age/sex pyramid of living persons")
    ax.legend()
    ticks = ax.get_xticks()
    ax.set_xticks(ticks, [str(abs(int(t))) for t in ticks])
    fig.tight_layout()
    return fig


def _completeness_figure(completeness: dict[str, float]) -> Any:
    fig, ax = _pyplot().subplots(figsize=(6, 4))
    names = list(completeness)
    ax.barh(names, [100 * completeness[n] for n in names], color="#228833")
    ax.set_xlim(0, 100)
    ax.set_xlabel("% of rows filled")
    ax.set_title("Completeness of key fields")
    fig.tight_layout()
    return fig
