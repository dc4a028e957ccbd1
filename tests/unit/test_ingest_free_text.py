"""Input free text never reaches the warehouse: not in displays, reasons or control characters."""

from __future__ import annotations

import gzip
from pathlib import Path

from socle.node import Node
from tests.fhirdata import condition, encounter, patient, write_bundle

NAME_AND_STREET = "Jane Doe, 12 rue des Lilas"


def _all_text(node: Node) -> str:
    chunks: list[str] = []
    for table, column in node.warehouse.aggregate(
        "SELECT table_name, column_name FROM information_schema.columns WHERE data_type = 'VARCHAR'"
    ):
        chunks.extend(
            str(v) for (v,) in node.warehouse.aggregate(f'SELECT "{column}" FROM {table}')
        )
    return "\n".join(chunks)


def test_coding_display_from_the_input_is_not_stored(node: Node, tmp_path: Path) -> None:
    write_bundle(tmp_path / "in" / "b.json", patient(), condition(display=NAME_AND_STREET))
    summary = node.load(tmp_path / "in", actor="test")
    assert summary.loaded["Condition"] == 1
    [(display,)] = node.warehouse.aggregate(
        "SELECT display FROM source_code WHERE code = '44054006'"
    )
    assert display is None  # unknown to the vocabulary: no name rather than the input's text
    assert "Jane" not in _all_text(node) and "Lilas" not in _all_text(node)


def test_malformed_date_is_not_quoted_in_the_reason(node: Node, tmp_path: Path) -> None:
    bad = encounter(start="2015-13-45 Jane Doe 0612345678")
    write_bundle(tmp_path / "in" / "b.json", patient(), bad)
    summary = node.load(tmp_path / "in", actor="test")
    [record] = summary.quarantine
    assert record.resource_type == "Encounter"
    assert "period.start" in record.reason and "dateTime" in record.reason
    assert "Jane" not in record.reason and "2015-13" not in record.reason
    assert "Jane" not in _all_text(node)


def test_control_characters_in_a_code_are_rejected_with_a_reason(
    node: Node, tmp_path: Path
) -> None:
    write_bundle(
        tmp_path / "in" / "b.json",
        patient(),
        condition("c1", code="4405\x004006"),
        condition("c2", code="38341003\x1b[2J"),
        condition("c3"),
    )
    summary = node.load(tmp_path / "in", actor="test")
    assert summary.loaded["Condition"] == 1
    reasons = sorted(q.reason for q in summary.quarantine)
    assert len(reasons) == 2
    for reason in reasons:
        assert "condition_source_value" in reason and "control character" in reason
        assert "4405" not in reason and "38341003" not in reason
    text = _all_text(node)
    assert "\x00" not in text and "\x1b" not in text
    assert summary.reconciles()


def test_unknown_resource_type_is_not_echoed(node: Node, tmp_path: Path) -> None:
    write_bundle(tmp_path / "in" / "b.json", patient(), {"resourceType": "Jane Doe", "id": "x"})
    summary = node.load(tmp_path / "in", actor="test")
    [record] = summary.quarantine
    assert "Jane" not in record.reason and "Jane" not in record.resource_type
    assert "resourceType" in record.reason
    assert "Jane" not in _all_text(node)
    assert summary.reconciles()


def test_unreadable_file_reason_quotes_neither_its_name_nor_its_bytes(
    node: Node, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    write_bundle(folder / "ok.json", patient())
    (folder / "Jane_Doe_1980.json.gz").write_bytes(b'{"Jane Doe": 1}')  # not gzip at all
    (folder / "Jean_Dupont.json.gz").write_bytes(gzip.compress(b'{"x": "Jean')[:-6])  # truncated
    summary = node.load(folder, actor="test")
    assert summary.persons == 1
    assert len(summary.quarantine) == 2
    for record in summary.quarantine:
        assert "Jane" not in record.reason and "Jean" not in record.reason
        assert "{" not in record.reason
        assert "gzip" in record.reason
    assert "Jane" not in _all_text(node)
