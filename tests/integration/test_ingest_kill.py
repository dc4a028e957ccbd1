"""A load killed with SIGKILL mid-way leaves the warehouse exactly as before; a re-run completes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from socle.config import Settings
from socle.node import Node

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"

CHILD = """
import sys
from pathlib import Path
from socle.config import Settings
from socle.ingest import ingest
from socle.node import Node

marker = Path(sys.argv[3])
node = Node.open(Settings(home=Path(sys.argv[1])))
seen = 0

def progress(_, __):
    global seen
    seen += 1
    marker.write_text(str(seen))

# small batches, so rows are already written into the open transaction when killed
ingest(Path(sys.argv[2]), node.warehouse, node.pseudo, node.vault, dates=node.dates, batch_rows=2000,
       on_file=progress)
marker.write_text("finished")
"""


def _snapshot(home: Path) -> dict[str, list[tuple[object, ...]]]:
    node = Node.open(Settings(home=home))
    try:
        tables = [t for (t,) in node.warehouse.aggregate("SELECT table_name FROM duckdb_tables()")]
        return {t: node.warehouse.aggregate(f"SELECT * FROM {t} ORDER BY ALL") for t in tables}
    finally:
        node.close()


def test_sigkill_mid_load_leaves_warehouse_as_before_and_rerun_completes(
    tmp_path: Path, small_sample: Path
) -> None:
    home = tmp_path / "home"
    node = Node.open(Settings(home=home))
    node.load(small_sample, actor="test")
    node.close()
    before = _snapshot(home)
    assert len(before["person"]) == 3

    marker = tmp_path / "progress"
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(home), str(SAMPLE), str(marker)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        text = marker.read_text() if marker.exists() else ""
        if text.isdigit() and int(text) >= 20:
            break
        assert child.poll() is None, child.stderr.read() if child.stderr else ""
        time.sleep(0.01)
    assert marker.read_text() != "finished", "the load ended before it could be killed"
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert child.returncode == -signal.SIGKILL

    assert _snapshot(home) == before

    node = Node.open(Settings(home=home))
    try:
        summary = node.load(SAMPLE, actor="test")
        assert summary.reconciles() and summary.persons == 50
        counts = node.warehouse.table_counts()
        node.load(SAMPLE, actor="test")
        assert node.warehouse.table_counts() == counts
        assert counts["person"] == 50
    finally:
        node.close()
