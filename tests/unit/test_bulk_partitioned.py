"""FHIR Bulk Data loaded partition by partition into a Parquet CDM = the same CDM as one load."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from socle.ingest import split_by_patient
from socle.node import Node
from socle.warehouse import CDM, open_cdm
from tests.cli import socle
from tests.unit.test_ndjson import _as_bulk_export

COMPARED = ("person", "visit_occurrence", "condition_occurrence", "drug_exposure",
            "measurement", "observation_period", "condition_era", "provider", "care_site")  # fmt: skip


def _rows(folder: Path, table: str) -> list[tuple[object, ...]]:
    cdm = open_cdm(folder)
    if not cdm.rows[table]:
        return []
    cols = ", ".join(f'"{c}"' for c in CDM[table])
    with duckdb.connect() as con:
        return con.execute(
            f"SELECT {cols} FROM read_parquet('{cdm.files(table)}') ORDER BY ALL"
        ).fetchall()


@pytest.mark.slow
def test_partitioned_load_gives_the_cdm_of_a_single_load(
    node: Node, small_sample: Path, tmp_path: Path
) -> None:
    bulk = tmp_path / "bulk"
    _as_bulk_export(small_sample, bulk)
    summary = node.load_partitioned(bulk, actor="steward", target=tmp_path / "parts", partitions=3)
    assert summary.reconciles() and summary.persons == 3
    assert sum(1 for s in summary.partitions if s.persons) >= 2  # the patients were spread
    single = node.load(bulk, actor="steward")
    node.export_parquet(tmp_path / "single", actor="steward")
    assert single.persons == 3
    for table in COMPARED:
        assert _rows(tmp_path / "parts", table) == _rows(tmp_path / "single", table), table
    assert _rows(tmp_path / "single", "condition_occurrence")
    assert not list(tmp_path.glob(".parts*")), "work folders removed"
    events = list(node.audit.events("warehouse.load_partitioned"))
    assert events and events[-1].role == "data_steward"


def test_each_patient_lands_in_one_partition_and_directory_resources_in_all(
    small_sample: Path, tmp_path: Path
) -> None:
    bulk = tmp_path / "bulk"
    _as_bulk_export(small_sample, bulk)
    (bulk / "Practitioner.ndjson").write_bytes(b'{"resourceType": "Practitioner", "id": "p1"}\n')
    (bulk / "Broken.ndjson").write_bytes(b"{not json\n")
    folders = split_by_patient(bulk, tmp_path / "split", 2)
    patients = [
        {line.split(b'"id":"', 1)[1].split(b'"', 1)[0] for line in (f / "Patient.ndjson").read_bytes().splitlines()}
        if (f / "Patient.ndjson").exists() else set()
        for f in folders
    ]  # fmt: skip
    assert sum(len(p) for p in patients) == 3 and not patients[0] & patients[1]
    assert all((f / "Practitioner.ndjson").exists() for f in folders)
    assert (folders[0] / "Broken.ndjson").read_bytes() == b"{not json\n"


def test_partitioned_load_from_the_cli(small_sample: Path, tmp_path: Path) -> None:
    bulk = tmp_path / "bulk"
    _as_bulk_export(small_sample, bulk)
    run = socle(
        "warehouse", "load-partitioned", str(bulk), "--folder", str(tmp_path / "cdm"),
        "--partitions", "2", home=tmp_path / "home",
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "3 persons in" in run.stdout and "0 quarantined" in run.stdout
    assert open_cdm(tmp_path / "cdm").rows["person"] == 3
