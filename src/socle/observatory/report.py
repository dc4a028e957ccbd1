"""The observatory report: one self-contained HTML page with plots (Jinja2, matplotlib).

Evidence over time (studies and FDA authorisations per year), deployments (sites and
live predictions per tool), vigilance alerts, and the Top 10 of each category with
every criterion's contribution. Built from published entries only: it is public.
"""

from __future__ import annotations

import base64
import io
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from socle.observatory.model import LiveFigures, ToolData
from socle.observatory.registry import PublishedEntry
from socle.observatory.scoring import Method, Ranking
from socle.observatory.taxonomy import load_observatory_taxonomy
from socle.observatory.vigilance import Alert


@dataclass(frozen=True)
class ReportInput:
    entries: Sequence[PublishedEntry]
    live: Mapping[str, LiveFigures]
    alerts: Sequence[Alert]
    rankings: Sequence[Ranking]
    method: Method


def write_report(data: ReportInput, out_dir: Path) -> Path:
    """Write ``observatory.html`` under ``out_dir`` and return its path."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    out_dir.mkdir(parents=True, exist_ok=True)
    tools = [e for e in data.entries if isinstance(e.data, ToolData)]
    by_category = Counter(e.data.category for e in tools if isinstance(e.data, ToolData))
    env = Environment(loader=PackageLoader("socle.observatory"), autoescape=select_autoescape())
    html = env.get_template("observatory.html.j2").render(
        generated_at=datetime.now(UTC).isoformat(timespec="seconds"),
        taxonomy=load_observatory_taxonomy(),
        tools=len(tools), databases=len(data.entries) - len(tools), by_category=by_category,
        rankings=data.rankings, method=data.method, alerts=data.alerts,
        alert_counts=Counter(a.kind for a in data.alerts),
        live=[(e, data.live[e.id]) for e in tools if e.id in data.live],
        evidence_png=_png(_evidence_figure(tools)),
        deployments_png=_png(_deployments_figure(tools, data.live)),
        alerts_png=_png(_alerts_figure(data.alerts)),
    )  # fmt: skip
    path = out_dir / "observatory.html"
    path.write_text(html)
    return path


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _png(fig: Any) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90)
    _plt().close(fig)
    return base64.b64encode(buffer.getvalue()).decode()


def _evidence_figure(tools: Sequence[PublishedEntry]) -> Any:
    """Per year: FDA authorisations (stacked by category) and recorded studies."""
    plt = _plt()
    authorised: Counter[tuple[int, str]] = Counter()
    studies: Counter[int] = Counter()
    for e in tools:
        assert isinstance(e.data, ToolData)
        if e.data.device.fda:
            authorised[(e.data.device.fda.decision_date.year, e.data.category)] += 1
        studies.update(s.year for s in e.data.evidence)
    years = sorted({y for y, _ in authorised} | set(studies)) or [datetime.now(UTC).year]
    fig, ax = plt.subplots(figsize=(8, 4))
    bottom = [0] * len(years)
    for category in sorted({c for _, c in authorised}):
        heights = [authorised[(y, category)] for y in years]
        ax.bar(years, heights, bottom=bottom, label=f"FDA: {category}")
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    ax.set_ylim(0, max([*bottom, 1]) * 1.1)
    ax.set_xlabel("year")
    ax.set_ylabel("FDA authorisations")
    if authorised:
        ax.legend(fontsize="small", loc="upper left")
    right = ax.twinx()
    right.plot(years, [studies[y] for y in years], "ko-", label="studies recorded")
    right.set_ylabel("studies recorded (black)")
    right.set_ylim(0, max([*studies.values(), 1]) * 1.2)
    ax.set_title("Evidence over time: authorisations and studies per year")
    fig.tight_layout()
    return fig


def _deployments_figure(tools: Sequence[PublishedEntry], live: Mapping[str, LiveFigures]) -> Any:
    plt = _plt()
    rows = []
    for e in tools:
        assert isinstance(e.data, ToolData)
        sites = len({d.site for d in e.data.deployments})
        figures = live.get(e.id)
        label = e.data.name[:40]
        if figures is not None and figures.predictions is None:
            label += f" (< {figures.threshold} predictions)"  # hidden small count
        used = (figures.predictions or 0) if figures else 0
        if sites or figures is not None:
            rows.append((label, sites, used))
    rows = sorted(rows, key=lambda r: (-r[1], -r[2]))[:15]
    fig, axes = plt.subplots(1, 2, figsize=(9, max(2.5, 0.4 * len(rows) + 1)), sharey=True)
    names = [r[0] for r in rows] or ["(no deployment declared)"]
    axes[0].barh(names, [r[1] for r in rows] or [0], color="#4477aa")
    axes[0].set_xlabel("declared sites")
    axes[1].barh(names, [r[2] for r in rows] or [0], color="#228833")
    axes[1].set_xlabel("predictions made through this node")
    for ax in axes:
        ax.xaxis.get_major_locator().set_params(integer=True)
    fig.suptitle("Deployments")
    fig.tight_layout()
    return fig


def _alerts_figure(alerts: Sequence[Alert]) -> Any:
    plt = _plt()
    counts = Counter(a.kind for a in alerts)
    kinds = sorted(counts) or ["(none)"]
    fig, ax = plt.subplots(figsize=(6, 2.5))
    ax.barh(kinds, [counts.get(k, 0) for k in kinds], color="#cc6677")
    ax.set_xlabel("alerts")
    ax.set_title("Vigilance alerts by kind")
    fig.tight_layout()
    return fig
