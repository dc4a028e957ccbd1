"""The whole lifecycle through the ``socle`` command, as a new user runs it."""

from __future__ import annotations

import csv
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from socle.config import Settings
from socle.node import Node
from tests.conftest import REPO

SOCLE = [sys.executable, "-c", "from socle.cli import main; main()"]


def socle(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*SOCLE, *args, "--home", str(home)], cwd=REPO, capture_output=True, text=True, timeout=600
    )


@pytest.fixture(scope="module")
def demo_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("demo") / "home"
    result = socle("demo", home=home)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    return home


def _node(home: Path) -> Node:
    return Node.open(Settings(home=home))


def test_demo_counts_reconcile(demo_home: Path) -> None:
    node = _node(demo_home)
    try:
        [load] = list(node.audit.events("warehouse.load"))
        d = load.details
        assert d["read"] == d["loaded"] + d["quarantined"] + d["skipped"] > 30_000
        assert d["persons"] == 50
        assert node.warehouse.table_counts()["person"] == 50
        actions = {e.action for e in node.audit.events()}
        assert {"catalog.register", "catalog.quality", "consent.record", "model.train"} <= actions
    finally:
        node.close()


def test_released_tables_have_no_small_cells(demo_home: Path) -> None:
    releases = sorted((demo_home / "reports" / "releases").glob("*.csv"))
    assert len(releases) == 2
    cells = [row["persons"] for f in releases for row in csv.DictReader(f.open())]
    assert "suppressed" in cells
    assert all(c == "suppressed" or (int(c) >= 10 and int(c) % 5 == 0) for c in cells)


def test_objecting_patients_are_absent_from_the_released_counts(demo_home: Path) -> None:
    node = _node(demo_home)
    try:
        objectors = {
            e.person_id for p in node.warehouse.aggregate("SELECT person_id FROM person")
            for e in node.consent.history(int(p[0]))
        }  # fmt: skip
        assert len(objectors) == 7
        [grant] = list(node.audit.events("grant.issue"))
        with node.workspace.session(grant.object, "aggregates", actor="auditor") as ws:
            visible = set(ws.query("SELECT person_id FROM scoped_person").column(0).to_pylist())
            rows = ws.query(
                "SELECT CASE gender_concept_id WHEN 8507 THEN 'M' ELSE 'F' END AS s, count(*) AS n "
                "FROM scoped_person WHERE person_id IN (SELECT person_id FROM "
                "scoped_condition_occurrence WHERE condition_source_value = 'SNOMED|73595000') "
                "GROUP BY ALL"
            ).to_pylist()
        by_sex = {r["s"]: r["n"] for r in rows}
        assert visible and not (visible & objectors)
        assert len(visible) == 50 - len(objectors)
        all_persons = node.warehouse.aggregate(
            "SELECT CASE gender_concept_id WHEN 8507 THEN 'M' ELSE 'F' END, count(*) FROM person "
            "WHERE person_id IN (SELECT person_id FROM condition_occurrence "
            "WHERE condition_source_value = 'SNOMED|73595000') GROUP BY ALL"
        )
        assert sum(by_sex.values()) < sum(n for _, n in all_persons)  # objectors had the condition
        release = next(
            f
            for f in (demo_home / "reports" / "releases").glob("*.csv")
            if f.read_text().startswith("sex,")
        )
        released = {r["sex"]: r["persons"] for r in csv.DictReader(release.open())}
        expected = {s: by_sex.get(s, 0) for s in ("F", "M", "U")}  # the whole grid, zeros too
        assert released == {
            s: "suppressed" if n < 10 else str(5 * round(n / 5)) for s, n in expected.items()
        }
    finally:
        node.close()


def test_undecided_prediction_is_reported_pending(demo_home: Path) -> None:
    result = socle("guarantee", "report", home=demo_home)
    assert result.returncode == 0
    lines = dict(line.split() for line in result.stdout.strip().splitlines())
    assert lines["pending"] == "1" and lines["accepted"] == "1"


def test_reports_are_written(demo_home: Path) -> None:
    html = (demo_home / "reports" / "quality.html").read_text()
    assert "data:image/png;base64," in html and "age/sex pyramid" in html
    notice = next((demo_home / "models").glob("*/notice.md")).read_text()
    for section in ("Intended use", "Population", "Performance", "Data used", "Limits"):
        assert f"## {section}" in notice


def test_the_demo_model_is_an_observatory_entry_with_live_figures_and_a_top_10(
    demo_home: Path,
) -> None:
    node = _node(demo_home)
    try:
        obs = node.observatory
        [model] = obs.registry.published_entries(category="prediction")
        assert model.source == "socle_model" and model.data.evidence  # type: ignore[union-attr]
        [figures] = obs.live.figures([model.id]).values()
        assert figures.predictions is None  # 2 predictions: below the small-cell threshold
        assert figures.override_rate is None and figures.drift_alerts is None
        assert len(obs.registry.entry_ids(source="fda", state="published")) == 1524
        [recorded] = list(node.audit.events("observatory.ranking_record"))
        assert recorded.details["ranked"] == 1
        assert obs.rankings.verify_recorded()[0][3] is True
        triage = obs.rankings.top("triage")
        assert triage.ranked == () and len(triage.lacking_evidence) == 122
    finally:
        node.close()
    top = socle("observatory", "top", "prediction", home=demo_home)
    assert top.returncode == 0 and "evidence_level" in top.stdout and "no data" in top.stdout
    html = (demo_home / "reports" / "observatory.html").read_text()
    assert html.count("data:image/png;base64,") == 3 and "Top 10 per category" in html
    public = socle("observatory", "export", "--format", "csv", home=demo_home)
    rows = list(csv.DictReader(public.stdout.strip().splitlines()))
    assert len(rows) == 1524 + 2  # FDA devices, the model, the catalogue dataset


def test_audit_verifies_then_names_a_tampered_event(demo_home: Path) -> None:
    ok = socle("audit", "verify", home=demo_home)
    assert ok.returncode == 0 and "verified" in ok.stdout
    db = sqlite3.connect(demo_home / "governance.sqlite")
    with db:
        db.execute("UPDATE audit_event SET outcome = 'forged' WHERE seq = 4")
    db.close()
    bad = socle("audit", "verify", home=demo_home)
    assert bad.returncode == 3
    assert "event #4" in bad.stderr and "altered" in bad.stderr
    assert "Traceback" not in bad.stderr
