"""An existing OMOP CDM (ETL-Synthea's) comes under the node's governance: pseudonymised, scoped,
consent-filtered, catalogued and quality-checked."""

from __future__ import annotations

import csv
import gzip
from datetime import date
from pathlib import Path

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from socle.config import Settings
from socle.consent import ConsentEvent
from socle.node import Node
from socle.quality.dqd import all_checks, run_checks
from socle.warehouse import WarehouseError
from tests.conftest import shared_data
from tests.helpers import approved_grant, today

# Row counts of the reference CDM (its SOURCE.md).
EXPECTED = {
    "person": 28, "visit_occurrence": 1791, "condition_occurrence": 470, "drug_exposure": 883,
    "procedure_occurrence": 1649, "measurement": 10040, "observation": 8099,
    "condition_era": 469, "provider": 67, "death": 3,
}  # fmt: skip


def _source_ids(cdm: Path) -> list[str]:
    with gzip.open(cdm / "PERSON.csv.gz", "rt", newline="") as f:
        return [row["person_source_value"] for row in csv.DictReader(f)]


def test_attached_csv_cdm_is_pseudonymised_and_queried_through_a_grant(node: Node) -> None:
    cdm = shared_data("omop-cdm-synthea27nj")
    counts = node.attach_cdm(cdm, actor="steward")
    assert {t: counts[t] for t in EXPECTED} == EXPECTED
    assert node.attach_cdm(cdm, actor="steward") == counts, "a re-attach replaces, never adds"
    assert {t: node.warehouse.table_counts()[t] for t in EXPECTED} == EXPECTED

    tokens = {t for (t,) in node.warehouse.aggregate("SELECT person_source_value FROM person")}
    assert not tokens & set(_source_ids(cdm)), "source person ids stay in the vault"
    [(days, names, visits)] = node.warehouse.aggregate(
        "SELECT (SELECT count(day_of_birth) FROM person), "
        "(SELECT count(provider_name) FROM provider), "
        "(SELECT count(visit_source_value) FROM visit_occurrence)"
    )
    assert days == names == visits == 0, "birth day, staff names, source record ids dropped"
    with gzip.open(cdm / "VISIT_OCCURRENCE.csv.gz", "rt", newline="") as f:
        source_days = sorted(
            date.fromisoformat(r["visit_start_date"][:10]).toordinal() for r in csv.DictReader(f)
        )
    stored_days = sorted(
        d.toordinal()
        for (d,) in node.warehouse.aggregate("SELECT visit_start_date FROM visit_occurrence")
    )
    assert sum(source_days) - sum(stored_days) >= len(stored_days), "every date moved back"

    grant_id = approved_grant(node)
    with node.workspace.session(grant_id, "aggregates", actor="researcher") as ws:
        persons = ws.query("SELECT person_id FROM scoped_person").column(0).to_pylist()
        conditions = ws.query("SELECT count(*) FROM scoped_condition_occurrence").column(0)[0]
    assert len(persons) == 28 and conditions.as_py() == 470
    node.consent.record(
        [ConsentEvent(persons[0], "research", "objection", today(), "portal", "patient")],
        actor="p",
        role="patient",
    )
    with node.workspace.session(grant_id, "aggregates", actor="researcher") as ws:
        assert (
            persons[0] not in ws.query("SELECT person_id FROM scoped_person").column(0).to_pylist()
        )

    results = run_checks(node.warehouse, all_checks())
    assert sum(r.status == "passed" for r in results) >= 200
    event = list(node.audit.events("warehouse.attach"))[-1]
    assert event.details["persons"] == 28


def test_parquet_folder_and_duckdb_file_attach_alike(tmp_path: Path) -> None:
    cdm = shared_data("omop-cdm-synthea27nj")
    parquet = tmp_path / "parquet"
    parquet.mkdir()
    for path in cdm.glob("*.csv.gz"):
        table = pacsv.read_csv(path)
        pq.write_table(table, parquet / (path.name.split(".")[0].lower() + ".parquet"))
    first = Node.open(Settings(home=tmp_path / "a"))
    try:
        counts = first.attach_cdm(parquet, actor="steward")
        assert {t: counts[t] for t in EXPECTED} == EXPECTED
    finally:
        first.close()
    second = Node.open(Settings(home=tmp_path / "b"))
    try:
        counts = second.attach_cdm(tmp_path / "a" / "warehouse.duckdb", actor="steward")
        assert {t: counts[t] for t in EXPECTED} == EXPECTED
    finally:
        second.close()


def test_folder_without_person_table_is_a_clear_error(node: Node, tmp_path: Path) -> None:
    with pytest.raises(WarehouseError, match="no PERSON table"):
        node.attach_cdm(tmp_path, actor="steward")


def test_attach_command_prints_counts_and_no_source_id(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from socle.cli import app

    cdm = shared_data("omop-cdm-synthea27nj")
    home = tmp_path / "home"
    result = CliRunner().invoke(app, ["warehouse", "attach", str(cdm), "--home", str(home)])
    assert result.exit_code == 0, result.output
    assert "condition_occurrence" in result.output and "470" in result.output
    assert not any(source_id in result.output for source_id in _source_ids(cdm))
    report = CliRunner().invoke(app, ["warehouse", "mapping-report", "--home", str(home)])
    assert report.exit_code == 0, report.output
    assert "rows whose source code is in the vocabulary: 100.0%" in report.output
