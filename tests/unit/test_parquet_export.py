"""The warehouse as an OMOP CDM in Parquet: partitioned by person, complete, re-runnable, no identifier."""

from __future__ import annotations

import gzip
import stat
from pathlib import Path

import duckdb
import orjson
import pytest

from socle.config import Settings
from socle.node import Node
from socle.warehouse import WarehouseError, open_cdm
from tests.cli import socle

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def test_export_holds_every_row_with_each_person_in_one_bucket(
    loaded: Node, tmp_path: Path
) -> None:
    cdm = loaded.export_parquet(tmp_path / "cdm", actor="steward", buckets=4)
    counts = loaded.warehouse.table_counts()
    assert {t: cdm.rows[t] for t in counts} == counts
    assert counts["person"] == 3 and counts["condition_occurrence"] > 0
    con = duckdb.connect()
    for table in ("person", "condition_occurrence", "observation_period"):
        rows = con.execute(
            "SELECT person_id, regexp_extract(filename, 'person_bucket=(\\d+)', 1)::INT "
            f"FROM read_parquet('{cdm.files(table)}', filename = true)"
        ).fetchall()
        assert rows and all(bucket == person % 4 for person, bucket in rows), table
    assert open_cdm(cdm.folder).rows == cdm.rows


def test_export_replaces_the_previous_one_whole(loaded: Node, tmp_path: Path) -> None:
    target = tmp_path / "out" / "cdm"
    loaded.export_parquet(target, actor="steward", buckets=4)
    first = sorted(p.relative_to(target) for p in target.rglob("*.parquet"))
    loaded.export_parquet(target, actor="steward", buckets=4)
    assert sorted(p.relative_to(target) for p in target.rglob("*.parquet")) == first
    assert [p.name for p in target.parent.iterdir()] == ["cdm"]  # no work folder left behind


def test_export_files_hold_no_identifier_and_are_private(loaded: Node, small_sample: Path) -> None:
    cdm = loaded.export_parquet(actor="steward")
    assert cdm.folder == loaded.settings.parquet_path
    identifiers: set[str] = set()
    for bundle in small_sample.glob("*.json.gz"):
        for entry in orjson.loads(gzip.decompress(bundle.read_bytes()))["entry"]:
            resource = entry["resource"]
            if resource["resourceType"] == "Patient":
                identifiers.add(resource["id"])
                identifiers.update(n["family"] for n in resource["name"])
    con = duckdb.connect()
    text = " ".join(
        str(v)
        for table in ("person", "condition_occurrence", "visit_occurrence", "location")
        if cdm.rows[table]
        for row in con.execute(f"SELECT * FROM read_parquet('{cdm.files(table)}')").fetchall()
        for v in row
    )
    assert identifiers and not any(i in text for i in identifiers)
    for path in cdm.folder.rglob("*"):
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode & 0o077 == 0, path


def test_export_is_audited_and_reachable_from_the_cli(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert socle("ingest", str(FIXTURES / "synthea-csv"), home=home).returncode == 0
    run = socle("warehouse", "export-parquet", str(tmp_path / "out"), "--buckets", "2", home=home)
    assert run.returncode == 0, run.stderr
    assert "Parquet CDM written to" in run.stdout and "2 person buckets" in run.stdout
    assert open_cdm(tmp_path / "out").rows["person"] == 3
    node = Node.open(Settings(home=home))
    try:
        events = list(node.audit.events("warehouse.export_parquet"))
        assert events and events[-1].actor == "steward" and events[-1].role == "data_steward"
    finally:
        node.close()


def test_a_folder_that_is_not_an_export_is_refused_clearly(tmp_path: Path) -> None:
    with pytest.raises(WarehouseError, match="not a Parquet CDM"):
        open_cdm(tmp_path)
