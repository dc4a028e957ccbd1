"""Pseudonym-key rotation: every id moves to the new key, consistently, or nothing changes."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from socle.consent import ConsentEvent
from socle.ingest import KeyRotationError, read_file
from socle.node import Node
from socle.warehouse import RekeyError

ID_COLUMNS = "SELECT table_name, column_name FROM duckdb_columns() WHERE data_type = 'BIGINT' AND schema_name = 'main' AND NOT internal"


def _ids(node: Node) -> set[int]:
    out: set[int] = set()
    for table, column in node.warehouse.aggregate(ID_COLUMNS):
        out.update(v for (v,) in node.warehouse.aggregate(f'SELECT "{column}" FROM {table}') if v)
    return out


def _quoted(columns: list[str]) -> str:
    return ", ".join(f'"{c}"' for c in columns)


def _content(node: Node) -> dict[str, list[tuple[object, ...]]]:
    """Every non-id, non-token column of every table, sorted: what rotation must not change."""
    tables: dict[str, list[str]] = {}
    for table, column, typ in node.warehouse.aggregate(
        "SELECT table_name, column_name, data_type FROM duckdb_columns() "
        "WHERE schema_name = 'main' AND NOT internal"
    ):
        if typ != "BIGINT" and column != "person_source_value" and table not in {"load_log"}:
            tables.setdefault(table, []).append(column)
    return {
        t: node.warehouse.aggregate(f"SELECT {_quoted(cols)} FROM {t} ORDER BY ALL")
        for t, cols in tables.items()
    }


def _patient_id(folder: Path) -> str:
    for f in sorted(folder.glob("*.json.gz")):
        for item in read_file(f):
            if item.resource and item.resource["resourceType"] == "Patient":
                return str(item.resource["id"])
    raise AssertionError("no patient")


def test_rotation_rekeys_every_id_and_keeps_reloads_idempotent(
    node: Node, small_sample: Path, tmp_path: Path
) -> None:
    node.load(small_sample, actor="test")
    patient = _patient_id(small_sample)
    old_person, old_token = node.person_id(patient), node.vault.pseudonym_for_source(patient)
    old_ids, counts, content = _ids(node), node.warehouse.table_counts(), _content(node)
    key_file = node.settings.secrets_dir / "pseudonym.key"
    old_key = key_file.read_bytes()

    summary = node.rotate_pseudonym_key([small_sample], actor="steward")

    assert summary.persons == 3 and summary.ids >= counts["visit_occurrence"]
    assert key_file.read_bytes() != old_key
    assert not key_file.with_name("pseudonym.key.next").exists()
    new_ids = _ids(node)
    assert old_ids.isdisjoint(new_ids), "no pseudonym of the retired key is left"
    assert node.warehouse.table_counts() == counts
    assert _content(node) == content, "only ids and tokens change"
    new_person, new_token = node.person_id(patient), node.vault.pseudonym_for_source(patient)
    assert (new_person, new_token) != (old_person, old_token)
    assert node.warehouse.aggregate(
        "SELECT count(*) FROM person WHERE person_id = ? AND person_source_value = ?",
        [new_person, new_token],
    ) == [(1,)]
    assert node.vault.get(new_token)["source_id"] == patient
    [event] = list(node.audit.events("privacy.rotate_key"))
    assert event.details["persons"] == 3

    node.load(small_sample, actor="test")
    assert node.warehouse.table_counts() == counts, "a re-load after rotation adds nothing"
    assert _ids(node) == new_ids

    node.close()
    again = Node.open(node.settings)
    try:
        assert again.person_id(patient) == new_person, "the new key is the one on disk"
    finally:
        again.close()


def test_rotation_without_every_source_changes_nothing(node: Node, small_sample: Path) -> None:
    node.load(small_sample, actor="test")
    partial = small_sample.parent / "partial"
    partial.mkdir()
    first = sorted(small_sample.glob("*.json.gz"))[0]
    (partial / first.name).write_bytes(first.read_bytes())
    before, key = _ids(node), (node.settings.secrets_dir / "pseudonym.key").read_bytes()
    with pytest.raises(RekeyError, match="sources do not produce"):
        node.rotate_pseudonym_key([partial], actor="steward")
    assert _ids(node) == before
    assert (node.settings.secrets_dir / "pseudonym.key").read_bytes() == key
    assert not (node.settings.secrets_dir / "pseudonym.key.next").exists()
    assert node.vault.pseudonym_for_source(_patient_id(small_sample))


def test_rotation_is_refused_while_consent_holds_person_ids(node: Node, small_sample: Path) -> None:
    node.load(small_sample, actor="test")
    person = node.person_id(_patient_id(small_sample))
    node.consent.record(
        [ConsentEvent(person, "research", "objection", date.today(), "portal", "patient")],
        actor="p",
        role="patient",
    )
    before = _ids(node)
    with pytest.raises(KeyRotationError, match="consent registry"):
        node.rotate_pseudonym_key([small_sample], actor="steward")
    assert _ids(node) == before
