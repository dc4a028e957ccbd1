"""Charts drawn on the server as SVG (matplotlib), shown as images with a text alternative:
the pages need no script and no front-end build."""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

COLOUR, ALERT = "#0b4f8a", "#a4262c"


@contextmanager
def _figure(height: float = 2.6) -> Iterator[tuple[Any, Any, list[str]]]:
    """A figure and its axes; the SVG's ``data:`` URL is left in the list given back."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    fig, ax = plt.subplots(figsize=(6, height), dpi=100)
    out: list[str] = []
    try:
        ax.spines[["top", "right"]].set_visible(False)
        yield fig, ax, out
        fig.tight_layout()
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg")
    finally:
        plt.close(fig)
    encoded = base64.b64encode(buffer.getvalue().encode()).decode()
    out.append(f"data:image/svg+xml;base64,{encoded}")


def bar_chart(
    labels: Sequence[str], values: Sequence[float], title: str, unit: str,
    threshold: float | None = None, threshold_label: str = "",
) -> str:  # fmt: skip
    """A ``data:`` URL of a bar chart in SVG; bars at or over ``threshold`` are drawn red."""
    with _figure() as (_, ax, out):
        colours = [
            ALERT if threshold is not None and v >= threshold else COLOUR for v in values
        ]  # fmt: skip
        ax.bar(list(labels), list(values), color=colours)
        if threshold is not None:
            ax.axhline(threshold, color=ALERT, linestyle="--", linewidth=1, label=threshold_label)
            if threshold_label:
                ax.legend(fontsize=8, frameon=False)
        ax.set_title(title, fontsize=11)
        ax.set_ylabel(unit)
        ax.tick_params(axis="x", labelrotation=30, labelsize=8)
    return out[0]


def calibration_chart(
    expected: Sequence[float], observed: Sequence[float], title: str, x_label: str, y_label: str
) -> str:
    """Observed event rate against predicted risk per group of predictions, beside the
    diagonal of a perfectly calibrated model."""
    with _figure(height=3.2) as (_, ax, out):
        ax.plot([0, 1], [0, 1], color="#555555", linestyle="--", linewidth=1)
        ax.plot(list(expected), list(observed), marker="o", color=COLOUR)
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_title(title, fontsize=11)
        ax.set_xlabel(x_label)
        ax.set_ylabel(y_label)
    return out[0]
