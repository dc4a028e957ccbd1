"""Bulk Data NDJSON (one file per type, Patient/ID references across files) = the same CDM as bundles."""

from __future__ import annotations

import gzip
import re
from collections import defaultdict
from pathlib import Path

import orjson

from socle.ingest import read_file
from socle.node import Node

URN = re.compile(rb'"urn:uuid:([^"]+)"')


def _as_bulk_export(bundles: Path, target: Path) -> None:
    """Split bundles into ``<Type>.ndjson`` files, references rewritten to ``Type/id``."""
    by_type: dict[str, list[bytes]] = defaultdict(list)
    kinds: dict[str, str] = {}
    resources = [i.resource for f in sorted(bundles.glob("*.json.gz")) for i in read_file(f)]
    for r in resources:
        assert r is not None
        kinds[r["id"]] = r["resourceType"]

    def typed(match: re.Match[bytes]) -> bytes:
        uid = match.group(1).decode()
        return f'"{kinds[uid]}/{uid}"'.encode() if uid in kinds else match.group(0)

    for r in resources:
        assert r is not None
        by_type[r["resourceType"]].append(URN.sub(typed, orjson.dumps(r)))
    target.mkdir()
    for kind, lines in by_type.items():
        data = b"\n".join(lines) + b"\n"
        if kind == "Observation":  # one gzipped file too
            (target / f"{kind}.ndjson.gz").write_bytes(gzip.compress(data))
        else:
            (target / f"{kind}.ndjson").write_bytes(data)


def test_bulk_ndjson_gives_the_same_warehouse_as_bundles(
    node: Node, small_sample: Path, tmp_path: Path
) -> None:
    bulk = tmp_path / "bulk"
    _as_bulk_export(small_sample, bulk)
    from_bulk = node.load(bulk, actor="test")
    assert from_bulk.reconciles() and from_bulk.persons == 3
    counts = node.warehouse.table_counts()
    persons = node.warehouse.aggregate("SELECT * FROM person ORDER BY ALL")
    from_bundles = node.load(small_sample, actor="test")
    assert from_bundles.totals() == from_bulk.totals()
    assert node.warehouse.table_counts() == counts, "same ids: bundles add nothing"
    assert node.warehouse.aggregate("SELECT * FROM person ORDER BY ALL") == persons


def test_key_rotation_replays_ndjson_references_across_files(
    node: Node, small_sample: Path, tmp_path: Path
) -> None:
    bulk = tmp_path / "bulk"
    _as_bulk_export(small_sample, bulk)
    node.load(bulk, actor="test")
    counts = node.warehouse.table_counts()
    node.rotate_pseudonym_key([bulk], actor="steward")
    node.load(bulk, actor="test")
    assert node.warehouse.table_counts() == counts
