"""Notes at the door: de-identified into note/note_nlp, or quarantined with a reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from socle.config import Settings
from socle.node import Node
from tests.fhirdata import document, patient, write_bundle

pytestmark = pytest.mark.usefixtures("deid_engine")


def _notes(node: Node) -> list[tuple[str, int]]:
    rows = node.warehouse.aggregate("SELECT note_text, language_concept_id FROM note")
    return [(str(t), int(lang)) for t, lang in rows]


def test_a_note_is_stored_only_de_identified(node: Node, tmp_path: Path) -> None:
    text = "Jane Doe, born 1980-05-17, was seen on 2015-03-02 by Dr. Smith for a cough."
    write_bundle(tmp_path / "in" / "b.json", patient(), document(text=text))
    summary = node.load(tmp_path / "in", actor="test")
    assert summary.loaded["DocumentReference"] == 1 and summary.reconciles()
    [(stored, language)] = _notes(node)
    assert "Jane" not in stored and "Doe" not in stored and "Smith" not in stored
    assert "1980-05-17" not in stored and "2015-03-02" not in stored
    assert "for a cough" in stored and language == 4180186
    [(note_date,)] = node.warehouse.aggregate("SELECT note_date FROM note")
    assert str(note_date) in stored  # the visit date, shifted like the structured one


def test_note_nlp_lists_types_and_offsets_without_values(node: Node, tmp_path: Path) -> None:
    write_bundle(
        tmp_path / "in" / "b.json", patient(), document(text="Jane Doe has a cough and the flu.")
    )
    node.load(tmp_path / "in", actor="test")
    rows = node.warehouse.aggregate(
        'SELECT n.note_text, p."offset", p.lexical_variant, p.snippet, p.term_modifiers '
        "FROM note_nlp p JOIN note n USING (note_id)"
    )
    assert rows
    for text, offset, variant, snippet, modifiers in rows:
        assert text[int(offset) :].startswith(variant) and snippet is None
        assert variant == "[PATIENT]" and modifiers.startswith("deid=PATIENT")


@pytest.mark.parametrize(
    ("resource", "reason"),
    [
        (document(text=b"\xff\xfe Jane Doe"), "not valid utf-8"),
        (document(content_type="application/pdf"), "not text/*"),
        (document(text="Jane Doe hat Husten und kam mit ihrer Tochter."), "language unknown"),
        (document(text="Jane Doe\x1b[2J has a cough and the flu."), "control character"),
        ({**document(), "content": [{"attachment": {"url": "http://x/Jane"}}]}, "no inline data"),
    ],
)
def test_a_note_that_cannot_be_processed_is_quarantined_and_the_rest_loads(
    node: Node, tmp_path: Path, resource: dict[str, object], reason: str
) -> None:
    good = document("d2", text="Jane Doe has a cough and the flu.")
    write_bundle(tmp_path / "in" / "b.json", patient(), resource, good)
    summary = node.load(tmp_path / "in", actor="test")
    [record] = summary.quarantine
    assert record.resource_type == "DocumentReference" and reason in record.reason
    assert "Jane" not in record.reason
    assert summary.loaded["DocumentReference"] == 1 and summary.reconciles()
    assert all("Jane" not in text for text, _ in _notes(node))


def test_a_note_longer_than_the_limit_is_quarantined(tmp_path: Path) -> None:
    node = Node.open(Settings(home=tmp_path / "home", notes_max_chars=50))
    try:
        long = "Jane Doe has a cough and the flu. " * 3
        write_bundle(tmp_path / "in" / "b.json", patient(), document(text=long))
        summary = node.load(tmp_path / "in", actor="test")
        [record] = summary.quarantine
        assert "longer than the limit of 50 characters" in record.reason
        assert node.warehouse.aggregate("SELECT count(*) FROM note") == [(0,)]
    finally:
        node.close()


def test_a_french_note_declared_or_detected_is_processed_in_french(
    node: Node, tmp_path: Path
) -> None:
    text = "Mme Doe est venue avec le Dr Lefèvre pour une toux. Elle a rendez-vous le 3 mars 2015."
    write_bundle(tmp_path / "in" / "b.json", patient(), document(text=text))
    node.load(tmp_path / "in", actor="test")
    [(stored, language)] = _notes(node)
    assert language == 4180190
    assert "Doe" not in stored and "Lefèvre" not in stored and "3 mars 2015" not in stored
    assert "pour une toux" in stored
