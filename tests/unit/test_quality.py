"""The data-quality report flags implausible records and draws its plots."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from socle.node import Node


def _bundle(*resources: dict[str, Any]) -> bytes:
    return orjson.dumps({"resourceType": "Bundle", "entry": [{"resource": r} for r in resources]})


def test_implausible_records_are_counted(node: Node, tmp_path: Path) -> None:
    folder = tmp_path / "odd"
    folder.mkdir()
    patient = {"resourceType": "Patient", "id": "p1", "gender": "female", "birthDate": "1980-06-01",
               "deceasedDateTime": "2020-01-01T00:00:00Z"}  # fmt: skip
    subject = {"reference": "Patient/p1"}
    future = {"resourceType": "Encounter", "id": "e1", "class": {"code": "AMB"}, "subject": subject,
              "period": {"start": "2999-01-01T00:00:00Z", "end": "2998-12-31T00:00:00Z"}}  # fmt: skip
    before_birth = {"resourceType": "Condition", "id": "c1", "subject": subject,
                    "code": {"coding": [{"system": "http://snomed.info/sct", "code": "1"}]},
                    "onsetDateTime": "1970-01-01T00:00:00Z"}  # fmt: skip
    (folder / "odd.json").write_bytes(_bundle(patient, future, before_birth))
    node.load(folder, actor="steward")
    report = node.quality_report(actor="steward")
    assert report.implausible["event_in_future"] == 1
    assert report.implausible["visit_ends_before_start"] == 1
    assert report.implausible["event_before_birth"] == 1
    assert report.implausible["event_after_death"] == 1
    assert not report.passed
    assert orjson.loads(report.json_path.read_bytes())["implausible"]["event_in_future"] == 1
    failed = {(c["check"], c["table"], c["field"]): c for c in report.failed_checks}
    assert (
        failed[("plausibleDuringLife", "visit_occurrence", "visit_start_date")]["violated_rows"]
        == 1
    )
    assert failed[("plausibleStartBeforeEnd", "visit_occurrence", "visit_end_date")]
    assert failed[("plausibleAfterBirth", "condition_occurrence", "condition_start_date")]
    assert "plausibleBeforeDeath" in {check for check, _, _ in failed}


def test_at_least_200_dqd_checks_run_with_thresholds_on_the_demo_data(loaded: Node) -> None:
    from socle.quality.dqd import all_checks, run_checks

    results = run_checks(loaded.warehouse, all_checks())
    applicable = [r for r in results if r.status != "not_applicable"]
    assert len(applicable) >= 200
    assert {r.check.category for r in applicable} == {"Conformance", "Completeness", "Plausibility"}
    names = {r.check.name for r in results}
    for name in ("fkDomain", "plausibleBeforeDeath", "plausibleAfterBirth", "plausibleValueLow",
                 "plausibleValueHigh", "isStandardValidConcept", "isRequired", "isPrimaryKey"):  # fmt: skip
        assert name in names
    assert all(r.status != "failed" for r in results if r.check.name == "isPrimaryKey")


def test_report_on_real_patients_is_complete_and_plausible(loaded: Node) -> None:
    report = loaded.quality_report(actor="steward")
    assert report.passed
    assert report.row_counts["person"] == 3
    assert report.completeness["person.year_of_birth"] == 1.0
    assert sum(n for _, _, n in report.pyramid) <= 3
    html = report.html_path.read_text()
    assert html.count("data:image/png;base64,") == 3
    [event] = list(loaded.audit.events("quality.report"))
    assert event.outcome == "ok"
