"""The whole lifecycle through the ``socle`` command, as a new user runs it."""

from __future__ import annotations

import csv
import re
import shutil
import sqlite3
from pathlib import Path

import pytest

from socle.config import Settings
from socle.demo import RESEARCHER
from socle.node import Node
from tests.cli import socle
from tests.conftest import socle_demo

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``socle demo`` run from an empty folder (the sample ships with the package): this
    module's copy of its home, the default one in the folder the user ran it from."""
    built, result = socle_demo(tmp_path_factory)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.text
    assert "audit" in result.stdout  # the closing table of what was done
    home = tmp_path_factory.mktemp("anywhere") / "socle-home"
    shutil.copytree(built, home)
    return home


def _node(home: Path) -> Node:
    return Node.open(Settings(home=home))


def test_demo_counts_reconcile(demo_home: Path) -> None:
    node = _node(demo_home)
    try:
        load = next(node.audit.events("warehouse.load"))  # the sample (follow-up loads later)
        d = load.details
        assert d["read"] == d["loaded"] + d["quarantined"] + d["skipped"] > 30_000
        assert d["persons"] == 50
        assert node.warehouse.table_counts()["person"] == 50
        [(mapped,)] = node.warehouse.aggregate(
            "SELECT count(*) FROM condition_occurrence WHERE condition_concept_id <> 0"
        )
        assert mapped > 0, "the demo vocabulary maps rows to standard concepts"
        actions = {e.action for e in node.audit.events()}
        assert {"catalog.register", "catalog.quality", "consent.record", "model.train"} <= actions
    finally:
        node.close()


def _released_tables(home: Path) -> list[Path]:
    return sorted(
        f for f in (home / "reports" / "releases").glob("*/*.csv") if "dp_count" not in f.name
    )


def test_released_tables_have_no_small_cells(demo_home: Path) -> None:
    releases = _released_tables(demo_home)
    assert len(releases) == 3  # two condition-count tables and the sandboxed job's table
    cells = [row["persons"] for f in releases for row in csv.DictReader(f.open())]
    assert "suppressed" in cells
    assert all(c == "suppressed" or (int(c) >= 10 and int(c) % 5 == 0) for c in cells)


def test_demo_release_desk_approves_stops_catches_and_budgets(demo_home: Path) -> None:
    node = _node(demo_home)
    try:
        released = node.desk.requests(state="released")
        assert len(released) == 4  # two tables, the sandboxed job's table, one DP count
        assert all(len(r.reviews) == 2 for r in released)
        [rejected] = node.desk.requests(state="rejected")
        [check] = [c for c in rejected.items[0].checks if c["name"] == "differencing"]
        assert check["status"] == "review"
        assert any(r.id in str(check["reason"]) for r in released)
        grant_id = released[0].grant_id
        assert node.desk.budget(grant_id).spent_epsilon == pytest.approx(0.5, rel=1e-3)
        assert not any(
            i.kind == "model_metrics" for r in node.desk.requests() for i in r.items
        )  # stopped at the desk: never became a request
        hashes = {e.object: e.details["files"] for e in node.audit.events("release.released")}
        assert set(hashes) == {r.id for r in released}
    finally:
        node.close()


def test_objecting_patients_are_absent_from_the_released_counts(demo_home: Path) -> None:
    node = _node(demo_home)
    try:
        objectors = {
            e.person_id for p in node.warehouse.aggregate("SELECT person_id FROM person")
            for e in node.consent.history(int(p[0]))
        }  # fmt: skip
        assert len(objectors) == 7
        [grant] = list(node.audit.events("grant.issue"))
        with node.workspace.session(grant.object, "aggregates", actor=RESEARCHER) as ws:
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
        release = next(f for f in _released_tables(demo_home) if f.read_text().startswith("sex,"))
        released = {
            r["sex"]: r["persons"] for r in csv.DictReader(release.open()) if r["sex"] != "All"
        }
        expected = {s: by_sex.get(s, 0) for s in ("F", "M", "U")}  # the whole grid, zeros too
        assert set(released) == set(expected)
        assert all(released[s] == "suppressed" for s, n in expected.items() if n < 10)
        shown = {s: v for s, v in released.items() if v != "suppressed"}
        assert shown and shown == {s: str(5 * round(expected[s] / 5)) for s in shown}
    finally:
        node.close()


def test_undecided_prediction_is_reported_pending(demo_home: Path) -> None:
    result = socle("guarantee", "report", home=demo_home)
    assert result.returncode == 0
    lines = {k: int(v) for k, v in (line.split() for line in result.stdout.strip().splitlines())}
    assert lines["pending"] > 0 and lines["accepted"] > 0 and lines["rejected"] > 0


def test_reports_are_written(demo_home: Path) -> None:
    html = (demo_home / "reports" / "quality.html").read_text()
    assert "data:image/png;base64," in html and "age/sex pyramid" in html
    notice = next((demo_home / "models").glob("*/notice.en.md")).read_text()
    for section in ("Intended use", "Population", "Performance", "Data used", "Limits"):
        assert f"## {section}" in notice
    notice_fr = next((demo_home / "models").glob("*/notice.fr.md")).read_text()
    assert "## Usage prévu" in notice_fr and "## Limites" in notice_fr
    report = next((demo_home / "models").glob("*/report.html")).read_text()
    assert report.count("data:image/png;base64,") == 3 and "TRIPOD+AI" in report


def test_the_demo_model_is_an_observatory_entry_with_live_figures_and_a_top_10(
    demo_home: Path,
) -> None:
    node = _node(demo_home)
    try:
        obs = node.observatory
        [model] = obs.registry.published_entries(category="prediction")
        assert model.source == "socle_model" and model.data.evidence  # type: ignore[union-attr]
        [figures] = obs.live.figures([model.id]).values()
        assert figures.predictions is not None and figures.predictions % 5 == 0
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
    [(outcome,)] = db.execute("SELECT outcome FROM audit_event WHERE seq = 4").fetchall()
    try:
        with db:
            db.execute("UPDATE audit_event SET outcome = 'forged' WHERE seq = 4")
        bad = socle("audit", "verify", home=demo_home)
        assert bad.returncode == 3
        assert "event #4" in bad.stderr and "altered" in bad.stderr
        assert "Traceback" not in bad.stderr
    finally:  # the other tests of this module share the demo's home, in any order
        with db:
            db.execute("UPDATE audit_event SET outcome = ? WHERE seq = 4", (outcome,))
        db.close()


def test_every_release_of_the_demo_traces_back_to_the_committee_decision(demo_home: Path) -> None:
    node = _node(demo_home)
    try:
        releases = [e.object for e in node.audit.events("release.released")]
        handed = [e.object for e in node.audit.events("workspace.release")]
    finally:
        node.close()
    assert len(releases) == 4 and set(releases) < set(handed)  # one was rejected, not released
    traces = []
    for release in releases:
        result = socle("audit", "trace", release, home=demo_home)
        assert result.returncode == 0, result.stderr
        assert "decision" in result.stdout and "grant.issue" in result.stdout
        assert result.stdout.count("release.approved") == 2  # both output checkers
        traces.append(result.stdout)
    [job_release] = [t for t in traces if "workspace.job.start" in t]
    assert "code_sha256" in job_release
    [rejected] = set(handed) - set(releases)
    assert socle("audit", "trace", rejected, home=demo_home).returncode != 0


def test_the_demo_model_was_deployed_by_decision_then_suspended_after_drift(
    demo_home: Path,
) -> None:
    node = _node(demo_home)
    try:
        [info] = node.models.models()
        assert info.stage == "suspended"
        path = [(t.from_stage, t.to_stage, t.role) for t in node.models.transitions(info.id)]
        assert path == [
            ("development", "validated", "committee_member"),
            ("validated", "deployed", "college_member"),
            ("deployed", "suspended", "college_member"),
        ]
        kinds = {(a.kind, a.subject) for a in node.monitoring.alerts(info.id)}
        assert ("input_drift", "glucose") in kinds
        assert all(a.status == "closed" for a in node.monitoring.alerts(info.id))
    finally:
        node.close()
    trace = socle("audit", "trace", info.id, home=demo_home)
    assert trace.returncode == 0
    for kind in ("stage", "college", "model", "grant", "decision", "request"):
        assert kind in trace.stdout
    [r4] = [p for p in (demo_home / "reports").glob("fhir-decisions-*.json")
            if not p.name.endswith("-r5.json")]  # fmt: skip
    bundle = r4.read_text()
    assert '"Provenance"' in bundle and '"Basic"' in bundle
    patients = set(re.findall(r'pseudonym",\s*"value":\s*"([^"]+)"', bundle))
    assert patients and all(re.fullmatch("[0-9a-f]{32}", p) for p in patients)  # tokens only
    assert next((demo_home / "reports").glob("college-review-*.html")).stat().st_size > 1000


def test_the_later_load_linked_outcomes_that_calibration_in_practice_reads(
    demo_home: Path,
) -> None:
    node = _node(demo_home)
    try:
        [info] = node.models.models()
        [run] = list(node.audit.events("guarantee.link_outcomes"))
        assert run.actor == "socle" and run.role == "system" and run.details["recorded"] >= 20
        linked = node.guarantee.outcomes(info.id)
        assert len(linked) == run.details["recorded"]
        assert {e.actor for e in node.audit.events("prediction.outcome")} == {"socle"}
        minimum = node.monitoring.policy["calibration"]["min_outcomes"]
        assert len(linked) >= minimum  # enough for the demo's calibration in practice
    finally:
        node.close()


def test_demo_shows_one_note_before_and_after_to_the_steward_only(demo_home: Path) -> None:
    import html
    import re

    page = demo_home / "steward" / "note-before-after.html"
    content = page.read_text(encoding="utf-8")
    assert "Steward only" in content and "[PATIENT]" in content
    assert page.stat().st_mode & 0o077 == 0  # readable by the node's user only
    assert not [p for p in (demo_home / "reports").rglob("*") if "note" in p.name]
    before = html.unescape(content.split("<h2>Before (input)</h2><pre>")[1].split("</pre>")[0])
    names = set(re.findall(r"\b[A-Z][a-z]+\d+\b", before))
    assert names, "Synthea notes name their patient"
    node = _node(demo_home)
    try:
        texts = [t for (t,) in node.warehouse.aggregate("SELECT note_text FROM note")]
        assert len(texts) > 1000
        assert not [n for n in names for t in texts if n in t]
        assert list(node.audit.events("notes.preview"))
    finally:
        node.close()
