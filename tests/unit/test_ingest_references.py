"""References that cannot be resolved, and resources read twice in one load, are never silent."""

from __future__ import annotations

from pathlib import Path

import orjson

from socle.node import Node
from tests.fhirdata import condition, encounter, patient, write_bundle


def _orphans(node: Node) -> dict[str, int]:
    """Rows of each CDM table whose person_id matches no person."""
    out = {}
    for (table,) in node.warehouse.aggregate(
        "SELECT table_name FROM information_schema.columns "
        "WHERE column_name = 'person_id' AND table_name <> 'person'"
    ):
        [(n,)] = node.warehouse.aggregate(
            f"SELECT count(*) FROM {table} WHERE person_id NOT IN (SELECT person_id FROM person)"
        )
        out[table] = n
    return out


def test_resources_of_a_patient_absent_from_the_load_are_quarantined(
    node: Node, tmp_path: Path
) -> None:
    write_bundle(
        tmp_path / "in" / "b.json",
        patient("p1"),
        condition("c1", "p1"),
        condition("c2", "ghost"),
        encounter("e2", "ghost"),
    )
    summary = node.load(tmp_path / "in", actor="test")
    assert summary.loaded["Condition"] == 1 and summary.loaded["Encounter"] == 0
    reasons = {(q.resource_type, q.position): q.reason for q in summary.quarantine}
    assert set(reasons) == {("Condition", 2), ("Encounter", 3)}
    assert all(
        "patient is neither in this load nor in the warehouse" in r for r in reasons.values()
    )
    assert all("ghost" not in r for r in reasons.values())
    assert set(_orphans(node).values()) == {0}
    [(periods,)] = node.warehouse.aggregate("SELECT count(*) FROM observation_period")
    assert periods == 1
    assert summary.reconciles()
    [(stored,)] = node.warehouse.aggregate("SELECT count(*) FROM quarantine")
    assert stored == 2


def test_patient_loaded_earlier_or_later_in_the_load_is_found(node: Node, tmp_path: Path) -> None:
    write_bundle(tmp_path / "first" / "p.json", patient("p1"))
    node.load(tmp_path / "first", actor="test")
    folder = tmp_path / "second"
    folder.mkdir()
    # NDJSON files load in name order: conditions before the patient they belong to.
    (folder / "Condition.ndjson").write_bytes(
        orjson.dumps(condition("c1", "p1")) + b"\n" + orjson.dumps(condition("c2", "p2")) + b"\n"
    )
    (folder / "Patient.ndjson").write_bytes(orjson.dumps(patient("p2")) + b"\n")
    summary = node.load(folder, actor="test")
    assert summary.loaded["Condition"] == 2 and summary.quarantine == []


def test_duplicate_in_one_load_is_reported_and_the_first_read_is_kept(
    node: Node, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    write_bundle(
        folder / "a.json", patient("p1"), condition("c1", code="111"), condition("c1", code="222")
    )
    write_bundle(folder / "b.json", patient("p1", birth="1990-01-01"), condition("c1", code="333"))
    summary = node.load(folder, actor="test")
    assert summary.loaded["Condition"] == 1 and summary.loaded["Patient"] == 1
    duplicates = sorted((Path(q.file).name, q.position) for q in summary.quarantine)
    assert duplicates == [("a.json", 2), ("b.json", 0), ("b.json", 1)]
    assert all("duplicate" in q.reason and "first" in q.reason for q in summary.quarantine)
    assert node.warehouse.aggregate("SELECT condition_source_value FROM condition_occurrence") == [
        ("SNOMED|111",)
    ]
    token = node.vault.pseudonym_for_source("p1")
    assert node.vault.get(token)["birthDate"] == "1980-05-17"
    assert summary.reconciles()
    [(conditions,)] = node.warehouse.aggregate("SELECT count(*) FROM condition_occurrence")
    assert conditions == summary.rows["condition_occurrence"] == 1


def test_duplicate_of_an_unknown_patient_is_quarantined_once(node: Node, tmp_path: Path) -> None:
    write_bundle(
        tmp_path / "in" / "b.json",
        patient("p1"),
        condition("c9", "ghost"),
        condition("c9", "ghost"),
    )
    summary = node.load(tmp_path / "in", actor="test")
    assert len(summary.quarantine) == 2 and summary.loaded["Condition"] == 0
    assert summary.reconciles()
