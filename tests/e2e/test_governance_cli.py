"""Catalogue, committee and audit through the ``socle`` command, as a steward, a committee and
an outside auditor run them."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from socle.config import Settings
from socle.governance import GrantError
from socle.node import Node
from tests.cli import Run, socle
from tests.conftest import SAMPLE
from tests.helpers import make_request


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A node with three patients loaded and one request waiting in committee."""
    home = tmp_path_factory.mktemp("gov") / "home"
    sample = sorted(SAMPLE.glob("*.json.gz"))[:3]
    folder = home.parent / "input"
    folder.mkdir()
    for f in sample:
        (folder / f.name).write_bytes(f.read_bytes())
    node = Node.open(Settings(home=home))
    try:
        node.load(folder, actor="steward")
    finally:
        node.close()
    return home


def _ok(result: Run) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_steward_registers_searches_exports_and_counts(home: Path, tmp_path: Path) -> None:
    out = _ok(socle("catalog", "register", "--title", "Primary care", "--description", "Synthea",
                    "--keyword", "hypertension", "--contact", "dpo@h.example", home=home))  # fmt: skip
    dataset_id = out.split()[1].rstrip(":")
    assert "1 dataset(s) found" in _ok(socle("catalog", "search", "--keyword", "HYPERTENSION",
                                             "--variable", "person.year_of_birth", home=home))  # fmt: skip
    assert "0 dataset(s) found" in _ok(socle("catalog", "search", "--theme", "AGRI", home=home))
    path = tmp_path / "catalog.jsonld"
    _ok(socle("catalog", "export-dcat", str(path), home=home))
    graph = orjson.loads(path.read_bytes())["@graph"]
    assert dataset_id in {item.get("dct:identifier") for item in graph}  # other tests add more
    counts = _ok(socle("catalog", "counts", dataset_id, "--purpose", "research", home=home))
    assert "<10 persons" in counts and "condition_occurrence" in counts


def test_committee_reviews_decides_and_times_the_decision(home: Path) -> None:
    node = Node.open(Settings(home=home))
    try:
        dataset = node.catalog.register(
            node.warehouse, title="t", description="d", publisher="p", actor="s"
        )
        rid = node.governance.create(make_request(node, dataset.id), actor="r")
        node.governance.submit(rid, actor="r")
        node.governance.start_review(rid, actor="chair")
    finally:
        node.close()
    member = _ok(socle("request", "add-member", "Dr Reviewer", "--expertise", "ethics", home=home))
    member_id = member.split()[1].rstrip(":")
    conflicted = _ok(socle("request", "add-member", "Dr Conflicted", "--expertise", "law",
                           home=home)).split()[1].rstrip(":")  # fmt: skip
    _ok(socle("request", "declare-conflict", conflicted, "--request", rid, "--statement",
              "Co-investigator", home=home))  # fmt: skip
    scores = [a for c in ("expected_benefit", "feasibility", "team_capacity", "innovative_use",
                          "data_sharing", "proportionality") for a in ("--score", f"{c}=4")]  # fmt: skip
    barred = socle("request", "review", rid, "--member", conflicted, *scores, "--summary", "x",
                   home=home)  # fmt: skip
    assert barred.returncode == 4 and "conflict of interest" in barred.stderr
    assert "Traceback" not in barred.stderr
    bad = socle("request", "review", rid, "--member", member_id, "--score", "feasibility=four",
                "--summary", "x", home=home)  # fmt: skip
    assert bad.returncode == 2 and "CRITERION=N" in bad.stderr
    out = _ok(socle("request", "review", rid, "--member", member_id, *scores, "--summary",
                    "Proportionate.", "--comment", "feasibility=Power computed.", home=home))  # fmt: skip
    assert "recommendation: approved" in out
    listed = _ok(socle("request", "reviews", rid, home=home))
    assert f"{member_id} on feasibility: Power computed." in listed
    assert f"{rid}: approved" in _ok(socle("request", "decide", rid, "--reasons", "Sound.",
                                           "--actor", "Dr Reviewer", home=home))  # fmt: skip
    times = _ok(socle("request", "decision-times", home=home))
    assert rid in times and "1 of 1 submitted requests decided; median" in times
    node = Node.open(Settings(home=home))
    try:
        today = datetime.now(UTC).date()
        grant = node.governance.issue_grant(
            rid, expires=today + timedelta(days=9), actor="Dr Reviewer"
        )
    finally:
        node.close()
    _ok(socle("request", "revoke", grant.id, "--reason", "breach", home=home))
    node = Node.open(Settings(home=home))
    try:
        with pytest.raises(GrantError, match="revoked"):
            node.governance.grant_scope(grant.id, today, "aggregates")
    finally:
        node.close()


def test_auditor_anchors_exports_and_detects_tampering(home: Path, tmp_path: Path) -> None:
    # Its own events (whichever test of this module ran before): the load, then this register.
    _ok(socle("catalog", "register", "--title", "t", "--description", "d", home=home))
    anchor = tmp_path / "anchor.json"
    anchor.write_text(_ok(socle("audit", "head", home=home)))
    head = orjson.loads(anchor.read_text())["seq"]
    assert "1 anchor(s) found" in _ok(socle("audit", "verify", "--anchor", f"@{anchor}",
                                            home=home))  # fmt: skip
    export = tmp_path / "audit.jsonl"
    _ok(socle("audit", "export", str(export), home=home))
    assert "export verified" in _ok(socle("audit", "verify-export", str(export), "--anchor",
                                          f"@{anchor}"))  # fmt: skip
    lines = export.read_bytes().splitlines()
    export.write_bytes(b"\n".join(lines[:-1]) + b"\n")
    truncated = socle("audit", "verify-export", str(export), "--anchor", f"@{anchor}")
    assert truncated.returncode == 3 and "truncated" in truncated.stderr
    with sqlite3.connect(home / "governance.sqlite") as db:
        db.execute("UPDATE audit_event SET outcome = 'denied' WHERE seq = ?", (head,))
    broken = socle("audit", "verify", home=home)
    assert broken.returncode == 3 and f"event #{head}" in broken.stderr
    assert "altered" in broken.stderr
