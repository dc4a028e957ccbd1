"""Store documents: reading N JSON documents from a ``Json`` column against the old text column.

Revision 0005 made the last documents kept as ``orjson`` text (predictions' inputs, release
rows, model lineage, ...) JSON columns, decoded per row by the engine's deserializer. The
fastest old path, a monitoring report's, parsed every row's text at once
(``orjson.loads(b"[" + b",".join(...) + b"]")``): that is the baseline, in the same run, on
the same SQLite file. Figures are CPU seconds (``time.process_time``), best of three.

``python benchmarks/store_json.py [N]`` (default 100000).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import orjson
from sqlalchemy import Column, Integer, MetaData, Table, Text, select

from socle.store import Json, open_engine


def main() -> int:
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    doc = {f"feature_{i}": (None if i == 3 else i * 1.5) for i in range(12)}
    as_json = Table("doc", MetaData(), Column("id", Integer, primary_key=True), Column("d", Json))
    as_text = Table("doc", MetaData(), Column("id", Integer, primary_key=True), Column("d", Text))
    with tempfile.TemporaryDirectory() as folder:
        engine = open_engine(f"sqlite:///{Path(folder) / 'store.sqlite'}")
        as_json.metadata.create_all(engine)
        with engine.begin() as conn:
            conn.execute(as_json.insert(), [{"d": doc} for _ in range(total)])

        def read_json() -> list[object]:
            with engine.connect() as conn:
                return [r.d for r in conn.execute(select(as_json.c.d))]

        def read_text() -> list[object]:
            with engine.connect() as conn:
                rows = conn.execute(select(as_text.c.d)).all()
            return list(orjson.loads(b"[" + b",".join(r.d.encode() for r in rows) + b"]"))

        figures = {}
        for name, read in (("text, one parse (before)", read_text), ("Json column", read_json)):
            best = float("inf")
            for _ in range(3):
                start = time.process_time()
                assert read()[0] == doc
                best = min(best, time.process_time() - start)
            figures[name] = best
        engine.dispose()
    load = os.getloadavg()[0]
    before, after = figures.values()
    print(f"[load average {load:.1f}] {total:,} documents: text + one parse {before:.3f} s CPU; "
          f"Json column {after:.3f} s CPU ({after / before:.2f}x)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
