"""Charts drawn on the server as SVG (matplotlib), shown as images with a text alternative:
the pages need no script and no front-end build."""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence


def bar_chart(labels: Sequence[str], values: Sequence[float], title: str, unit: str) -> str:
    """A ``data:`` URL of a bar chart in SVG."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 2.6), dpi=100)
    try:
        ax.bar(list(labels), list(values), color="#0b4f8a")
        ax.set_title(title, fontsize=11)
        ax.set_ylabel(unit)
        ax.spines[["top", "right"]].set_visible(False)
        ax.tick_params(axis="x", labelrotation=30, labelsize=8)
        fig.tight_layout()
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg")
    finally:
        plt.close(fig)
    encoded = base64.b64encode(buffer.getvalue().encode()).decode()
    return f"data:image/svg+xml;base64,{encoded}"
