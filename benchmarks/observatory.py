"""Observatory: import the FDA list (1,524 devices), review, publish, rank, export.

Baseline in the same run: reading and validating the same rows without any store
(``fda.read_fda_rows`` + ``fda.to_entry``), so the ratio is the cost of the register
(versions, audit events in the same transaction). ``python benchmarks/observatory.py``.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from socle.config import Settings
from socle.node import Node
from socle.observatory.fda import load_fda_mapping, read_fda_rows, to_entry

REPO = Path(__file__).resolve().parents[1]
FDA = REPO / "data" / "fda-ai-devices" / "aiml-devices.csv"


def timed(label: str, fn, baseline: float | None = None):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - start
    ratio = f"  ({seconds / baseline:.1f}x baseline)" if baseline else ""
    print(f"{label:<38} {seconds * 1000:8.0f} ms{ratio}", flush=True)
    return result, seconds


def main() -> int:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else FDA
    mapping = load_fda_mapping()
    _, base = timed("baseline: read + validate 1,524 rows",
                    lambda: [to_entry(r, mapping) for _, r in read_fda_rows(path)])  # fmt: skip
    with tempfile.TemporaryDirectory() as home:
        node = Node.open(Settings(home=Path(home)))
        obs = node.observatory
        timed("import (1,524 new entries)",
              lambda: obs.import_fda(path, actor="steward", role="data_steward"), base)  # fmt: skip
        timed("re-import (all unchanged)",
              lambda: obs.import_fda(path, actor="steward", role="data_steward"), base)  # fmt: skip
        obs.reviews.declare_interests("reviewer", statement="no conflict")
        ids = obs.registry.entry_ids(state="submitted")
        (done, _), _ = timed("batch review (1,524)",
                             lambda: obs.reviews.review_many(ids, reviewer="reviewer"))  # fmt: skip
        timed("batch publish (1,524)", lambda: obs.reviews.publish_many(done, actor="reviewer"))
        obs.rankings.ensure_method(actor="reviewer", role="observatory_reviewer")
        timed("read the published map", obs.registry.published_entries)
        timed("Top 10 of imaging (1,029 entries)", lambda: obs.rankings.top("imaging"))
        timed("export CSV", lambda: obs.export("csv"))
        timed("alerts", obs.alerts)
        timed("HTML report with plots", lambda: obs.report(Path(home) / "reports"))
        node.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
