"""FHIR ingestion: mapping, quarantine, reconciliation, atomicity, idempotence, no identifiers."""

from __future__ import annotations

import gzip
import re
from pathlib import Path
from typing import Any

import orjson
import pytest

from socle.ingest import NoInputError, read_file
from socle.node import Node


def _resources(folder: Path) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for f in sorted(folder.glob("*.json.gz")):
        out.extend(i.resource for i in read_file(f) if i.resource)
    return out


def _all_strings(node: Node) -> str:
    """Every text value of every warehouse table, joined (for leak scans)."""
    chunks: list[str] = []
    columns = node.warehouse.aggregate(
        "SELECT table_name, column_name FROM information_schema.columns WHERE data_type = 'VARCHAR'"
    )
    for table, column in columns:
        rows = node.warehouse.aggregate(f'SELECT DISTINCT "{column}" FROM {table}')
        chunks.extend(str(v) for (v,) in rows)
    return "\n".join(chunks)


def test_counts_reconcile_on_real_bundles(node: Node, small_sample: Path) -> None:
    summary = node.load(small_sample, actor="test")
    totals = summary.totals()
    assert summary.reconciles()
    assert totals["read"] == len(_resources(small_sample))
    assert summary.persons == 3
    counts = node.warehouse.table_counts()
    assert counts["person"] == 3
    assert counts["observation_period"] == 3
    assert counts["visit_detail"] == summary.loaded["Encounter"]  # inpatient stays merge visits
    assert counts["visit_occurrence"] <= counts["visit_detail"]
    assert counts["condition_occurrence"] == summary.loaded["Condition"]


def test_malformed_file_is_quarantined_and_the_rest_loads(node: Node, small_sample: Path) -> None:
    (small_sample / "broken.json").write_text('{"resourceType": "Bundle", "entry": [')
    summary = node.load(small_sample, actor="test")
    assert summary.persons == 3
    [bad] = summary.quarantine
    assert bad.file.endswith("broken.json") and "not valid JSON" in bad.reason
    assert summary.reconciles()


def test_bad_resources_are_quarantined_with_reasons(node: Node, small_sample: Path) -> None:
    bundle = {
        "resourceType": "Bundle",
        "entry": [
            {
                "resource": {
                    "resourceType": "Condition",
                    "id": "c1",
                    "subject": {"reference": "Patient/x"},
                }
            },
            {"resource": {"resourceType": "Encounter", "id": "e1", "class": {"code": "AMB"}}},
            {"resource": {"resourceType": "Frobnicate", "id": "f1"}},
            {"resource": {"resourceType": "Patient"}},
            "not an object",
        ],
    }
    (small_sample / "bad.json").write_bytes(orjson.dumps(bundle))
    summary = node.load(small_sample, actor="test")
    reasons = {(q.resource_type, q.position): q.reason for q in summary.quarantine}
    assert "code is missing" in reasons[("Condition", 0)]
    assert "period.start" in reasons[("Encounter", 1)]
    assert "not a FHIR R4 resource type" in reasons[("(unknown type)", 2)]
    assert "no id" in reasons[("Patient", 3)]
    assert "not a JSON object" in reasons[("(unreadable)", 4)]
    assert summary.reconciles()
    con_counts = node.warehouse.aggregate("SELECT count(*) FROM quarantine")
    assert con_counts[0][0] == 5


def test_reloading_adds_no_duplicates(node: Node, small_sample: Path) -> None:
    node.load(small_sample, actor="test")
    first = node.warehouse.table_counts()
    node.load(small_sample, actor="test")
    assert node.warehouse.table_counts() == first


def test_interrupted_load_leaves_warehouse_unchanged(node: Node, small_sample: Path) -> None:
    node.load(small_sample, actor="test")
    before = node.warehouse.table_counts()
    calls = 0

    def crash(_: Path, __: int) -> None:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise KeyboardInterrupt

    extra = small_sample.parent / "more"
    extra.mkdir()
    for f in sorted((Path(__file__).parents[2] / "data" / "sample").glob("*.json.gz"))[3:6]:
        (extra / f.name).write_bytes(f.read_bytes())
    with pytest.raises(KeyboardInterrupt):
        node.load(extra, actor="test", on_file=crash)
    assert node.warehouse.table_counts() == before


def test_no_direct_identifier_reaches_the_warehouse(node: Node, small_sample: Path) -> None:
    node.load(small_sample, actor="test")
    patients = [r for r in _resources(small_sample) if r["resourceType"] == "Patient"]
    text = _all_strings(node)
    needles: list[str] = []
    for p in patients:
        needles.append(p["id"])
        needles.extend(i["value"] for i in p.get("identifier", []))
        for name in p.get("name", []):
            needles.extend([*name.get("given", []), name.get("family", "")])
        for a in p.get("address", []):
            needles.extend([*a.get("line", []), a.get("postalCode", "")])
        needles.extend(t["value"] for t in p.get("telecom", []))
        needles.append(p["birthDate"])
    needles = [n for n in needles if n and len(n) > 3]
    assert len(needles) > 20
    tokens = set(re.split(r"[^A-Za-z0-9'-]+", text))
    leaked = [n for n in needles if (n in text if " " in n else n in tokens)]
    assert leaked == []


def test_identities_are_in_the_vault(node: Node, small_sample: Path) -> None:
    node.load(small_sample, actor="test")
    patient = next(r for r in _resources(small_sample) if r["resourceType"] == "Patient")
    token = node.vault.pseudonym_for_source(patient["id"])
    assert node.vault.get(token)["name"] == patient["name"]


def test_gzip_and_plain_files_load_the_same(node: Node, small_sample: Path, tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    for f in small_sample.glob("*.gz"):
        (plain / f.name[:-3]).write_bytes(gzip.decompress(f.read_bytes()))
    gz = node.load(small_sample, actor="test").totals()
    assert node.load(plain, actor="test").totals() == gz


def test_missing_and_empty_inputs_are_clear_errors(node: Node, tmp_path: Path) -> None:
    with pytest.raises(NoInputError, match="does not exist"):
        node.load(tmp_path / "nope", actor="test")
    (tmp_path / "empty").mkdir()
    with pytest.raises(NoInputError, match="holds no FHIR files"):
        node.load(tmp_path / "empty", actor="test")


def test_load_is_audited_with_counts_only(node: Node, small_sample: Path) -> None:
    node.load(small_sample, actor="steward")
    [event] = list(node.audit.events("warehouse.load"))
    assert event.details["persons"] == 3
    assert event.actor == "steward"
