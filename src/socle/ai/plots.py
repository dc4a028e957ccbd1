"""The figures of a model's report: calibration with intervals, and the decision curve.

Drawn only from figures that passed the release checks (the caller decides);
saved as PNG next to the report.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from socle.ai.metrics import wilson


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def calibration_plot(
    bins: list[tuple[float, float, int, int]] | None, path: Path, note: str = ""
) -> Path:
    """Observed against predicted risk per bin, with each bin's 95% Wilson interval."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(4.8, 4.5))
    ax.plot([0, 1], [0, 1], "--", color="grey", label="perfect calibration")
    if bins:
        x = [b[0] for b in bins]
        y = [b[1] for b in bins]
        ci = [wilson(b[3], b[2]) for b in bins]
        ax.errorbar(
            x, y, yerr=[[yy - lo for yy, (lo, _) in zip(y, ci, strict=True)],
                        [hi - yy for yy, (_, hi) in zip(y, ci, strict=True)]],
            fmt="o-", capsize=3, label="model (95% CI)",
        )  # fmt: skip
    else:
        ax.text(0.5, 0.2, note or "withheld by the release checks", ha="center", color="grey")
    ax.set_xlabel("predicted risk")
    ax.set_ylabel("observed rate")
    ax.set_title("Calibration (out-of-fold predictions)")
    ax.legend(loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def decision_curve_plot(curve: dict[str, list[float]] | None, path: Path) -> Path:
    """Net benefit of the model against treating everyone and no one."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5.2, 4.0))
    if curve:
        t = curve["thresholds"]
        ax.plot(t, curve["model"], "o-", label="model")
        ax.plot(t, curve["treat_all"], "--", label="treat all")
        ax.plot(t, curve["treat_none"], ":", color="black", label="treat none")
        ax.set_ylim(min(-0.05, min(curve["model"])), max(0.05, max(curve["model"]) * 1.3))
        ax.legend()
    else:
        ax.text(0.5, 0.5, "withheld by the release checks", ha="center", color="grey")
    ax.set_xlabel("threshold probability")
    ax.set_ylabel("net benefit")
    ax.set_title("Decision curve")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def importance_plot(importance: dict[str, float] | None, path: Path) -> Path:
    """Mean absolute SHAP value of each feature (global explanation)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5.2, 3.2))
    if importance:
        names = sorted(importance, key=lambda k: importance[k])
        ax.barh(names, [importance[n] for n in names])
        ax.set_xlabel("mean |SHAP value| (log-odds)")
    else:
        ax.text(0.5, 0.5, "withheld by the release checks", ha="center", color="grey")
    ax.set_title("Global explanation")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
