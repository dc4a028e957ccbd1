"""Input that must not take the node down: gzip bombs, files too large for memory."""

from __future__ import annotations

import gzip
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from socle.config import Settings
from socle.node import Node
from tests.conftest import SAMPLE
from tests.fhirdata import patient, write_bundle


@pytest.fixture
def limited(tmp_path: Path) -> Iterator[Node]:
    """A node that decompresses at most 16 MiB per file and reads at most 1 MiB whole."""
    node = Node.open(Settings(home=tmp_path / "home", ingest_max_file_mb=16, ingest_memory_mb=1))
    yield node
    node.close()


def _bomb(path: Path, mebibytes: int) -> Path:
    """A bundle that expands to ``mebibytes`` MiB of blanks: a few tens of KiB on disk."""
    with gzip.open(path, "wb", compresslevel=9) as f:
        f.write(b'{"resourceType": "Bundle", "entry": [')
        blank = b" " * (1 << 20)
        for _ in range(mebibytes):
            f.write(blank)
        f.write(b"]}")
    return path


def test_gzip_bomb_is_quarantined_and_the_other_files_load(limited: Node, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    write_bundle(folder / "a.json", patient("p1"))
    bomb = _bomb(folder / "b.json.gz", 200)
    write_bundle(folder / "c.json", patient("p2"))
    assert bomb.stat().st_size < 1_000_000
    summary = limited.load(folder, actor="test")
    assert summary.persons == 2
    [record] = summary.quarantine
    assert record.file.endswith("b.json.gz")
    assert "decompressed size exceeds 16 MiB" in record.reason
    assert "ingest_max_file_mb" in record.reason
    assert summary.reconciles()


def test_plain_file_over_the_limit_is_quarantined(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    write_bundle(folder / "a.json", patient("p1"))
    big = folder / "big.ndjson"
    big.write_bytes(b" " * (2 << 20))
    node = Node.open(Settings(home=tmp_path / "home", ingest_max_file_mb=1))
    try:
        summary = node.load(folder, actor="test")
    finally:
        node.close()
    assert summary.persons == 1
    [record] = summary.quarantine
    assert record.file.endswith("big.ndjson") and "size exceeds 1 MiB" in record.reason


def test_bundle_larger_than_the_memory_setting_streams_to_the_same_rows(
    limited: Node, node: Node, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    bundles = sorted(SAMPLE.glob("*.json.gz"))[:2]
    for bundle in bundles:
        shutil.copy(bundle, folder / bundle.name)
    assert max(len(gzip.decompress(b.read_bytes())) for b in bundles) > 1 << 20  # streamed
    streamed = limited.load(folder, actor="test")
    whole = node.load(folder, actor="test")
    assert streamed.totals() == whole.totals() and streamed.rows == whole.rows
    checksum = (
        "SELECT count(*), sum(value_as_number), count(DISTINCT measurement_source_value) "
        "FROM measurement"
    )
    assert limited.warehouse.aggregate(checksum) == node.warehouse.aggregate(checksum)


def test_ndjson_line_longer_than_the_memory_setting_is_quarantined(
    limited: Node, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    import orjson

    huge = {**patient("p2"), "text": {"div": "x" * (2 << 20)}}
    lines = [orjson.dumps(patient("p1")), orjson.dumps(huge), orjson.dumps(patient("p3"))]
    (folder / "Patient.ndjson").write_bytes(b"\n".join(lines) + b"\n")
    summary = limited.load(folder, actor="test")
    assert summary.persons == 2
    [record] = summary.quarantine
    assert record.position == 2 and "longer than 1 MiB" in record.reason
    assert summary.reconciles()
