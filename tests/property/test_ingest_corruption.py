"""Randomly corrupted bundles never crash a load, and its counts always reconcile."""

from __future__ import annotations

import gzip
import tempfile
from pathlib import Path
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from socle.ingest import ingest, read_file
from socle.privacy import DateShift, IdentityVault, Pseudonymizer
from socle.warehouse import Warehouse

SAMPLE = sorted((Path(__file__).resolve().parents[2] / "data" / "sample").glob("*.json.gz"))[0]
BUNDLE: dict[str, Any] = orjson.loads(gzip.decompress(SAMPLE.read_bytes()))
# One resource of each type keeps every example small and every mapper exercised.
ENTRIES = list({e["resource"]["resourceType"]: e for e in BUNDLE["entry"]}.values())

junk = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**31), 2**31) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


@st.composite
def corrupted(draw: st.DrawFn) -> bytes:
    entries = [orjson.loads(orjson.dumps(e)) for e in ENTRIES]
    for _ in range(draw(st.integers(1, 8))):
        entry = entries[draw(st.integers(0, len(entries) - 1))]
        resource = entry.get("resource")
        if not isinstance(resource, dict) or not resource:
            continue
        key = draw(st.sampled_from(sorted(resource)))
        action = draw(st.sampled_from(["drop", "junk", "unwrap"]))
        if action == "drop":
            del resource[key]
        elif action == "junk":
            resource[key] = draw(junk)
        else:
            entry["resource"] = draw(junk)
    raw = orjson.dumps({"resourceType": "Bundle", "type": "collection", "entry": entries})
    if draw(st.booleans()):
        raw = raw[: draw(st.integers(0, len(raw)))]
    return raw


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(corrupted())
def test_corrupted_bundle_never_crashes_and_counts_reconcile(raw: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "bundle.json").write_bytes(raw)
        warehouse = Warehouse(folder / "w.duckdb")
        pseudo = Pseudonymizer(b"k" * 32)
        vault = IdentityVault(folder / "v.sqlite", b"v" * 32, pseudo)
        try:
            summary = ingest(
                folder / "bundle.json", warehouse, pseudo, vault, dates=DateShift(b"d" * 32)
            )
            assert summary.reconciles()
            for kind, n in summary.read.items():
                assert n == summary.loaded[kind] + summary.quarantined[kind] + summary.skipped[kind]
            assert sum(summary.read.values()) == len(list(read_file(folder / "bundle.json")))
            [(stored,)] = warehouse.aggregate("SELECT count(*) FROM quarantine")
            assert stored == len(summary.quarantine)
        finally:
            vault.close()
            warehouse.close()


def test_field_of_the_wrong_shape_is_quarantined_not_fatal(tmp_path: Path) -> None:
    encounter = next(e for e in ENTRIES if e["resource"]["resourceType"] == "Encounter")
    bad = orjson.loads(orjson.dumps(encounter))
    bad["resource"]["period"] = 5
    (tmp_path / "b.json").write_bytes(orjson.dumps({"resourceType": "Bundle", "entry": [bad]}))
    warehouse = Warehouse(tmp_path / "w.duckdb")
    pseudo = Pseudonymizer(b"k" * 32)
    vault = IdentityVault(tmp_path / "v.sqlite", b"v" * 32, pseudo)
    summary = ingest(tmp_path / "b.json", warehouse, pseudo, vault, dates=DateShift(b"d" * 32))
    [record] = summary.quarantine
    assert record.resource_type == "Encounter" and "wrong structure" in record.reason
    vault.close()
    warehouse.close()
