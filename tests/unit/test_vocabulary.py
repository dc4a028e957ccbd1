"""Athena vocabulary: source codes map to standard concepts; unknown codes keep concept id 0."""

from __future__ import annotations

from pathlib import Path

import pytest

from socle.node import Node
from socle.warehouse import VocabularyError

VOCABULARY = Path(__file__).resolve().parents[1] / "fixtures" / "vocabulary"


def _pairs(node: Node, sql: str, value: str) -> set[tuple[int, ...]]:
    return set(node.warehouse.aggregate(sql, [value]))


def _check_mapped(node: Node) -> None:
    assert _pairs(
        node,
        "SELECT DISTINCT condition_concept_id, condition_source_concept_id "
        "FROM condition_occurrence WHERE condition_source_value = ?",
        "SNOMED|314529007",
    ) == {(900000002, 900000001)}, "non-standard code follows its valid 'Maps to'"
    assert _pairs(
        node,
        "SELECT DISTINCT measurement_concept_id, unit_concept_id FROM measurement "
        "WHERE measurement_source_value = ?",
        "LOINC|8302-2",
    ) == {(3036277, 8582)}, "a standard code maps to itself, and UCUM units map"
    assert _pairs(
        node,
        "SELECT DISTINCT procedure_concept_id, procedure_source_concept_id "
        "FROM procedure_occurrence WHERE procedure_source_value = ?",
        "SNOMED|171207006",
    ) == {(4034855, 4034855)}
    assert _pairs(
        node,
        "SELECT DISTINCT drug_concept_id, drug_source_concept_id FROM drug_exposure "
        "WHERE drug_source_value = ?",
        "RxNorm|314076",
    ) == {(0, 0)}, "an invalid (deprecated) concept is not used"
    [(unmapped,)] = node.warehouse.aggregate(
        "SELECT count(*) FROM condition_occurrence WHERE condition_concept_id = 0 "
        "AND condition_source_value LIKE 'SNOMED|%'"
    )
    assert unmapped > 0, "codes the vocabulary does not know keep concept id 0"


def test_without_vocabulary_concept_ids_are_zero_and_source_values_kept(loaded: Node) -> None:
    [(nonzero, total)] = loaded.warehouse.aggregate(
        "SELECT count(*) FILTER (condition_concept_id <> 0), count(*) FROM condition_occurrence"
    )
    assert nonzero == 0 and total > 0
    [(kept,)] = loaded.warehouse.aggregate(
        "SELECT count(*) FROM condition_occurrence WHERE condition_source_value LIKE 'SNOMED|%'"
    )
    assert kept == total


def test_vocabulary_loaded_after_data_maps_existing_rows(loaded: Node) -> None:
    counts = loaded.load_vocabulary(VOCABULARY, actor="steward")
    assert counts["concept"] == 9 and counts["concept_relationship"] == 2
    assert counts["mapped_rows"] > 0
    _check_mapped(loaded)
    [event] = list(loaded.audit.events("warehouse.vocabulary"))
    assert event.details["concept"] == 9


def test_vocabulary_loaded_first_maps_rows_as_they_load(node: Node, small_sample: Path) -> None:
    node.load_vocabulary(VOCABULARY, actor="steward")
    node.load(small_sample, actor="test")
    _check_mapped(node)


def test_missing_vocabulary_file_is_a_clear_error(node: Node, tmp_path: Path) -> None:
    (tmp_path / "CONCEPT.csv").write_text((VOCABULARY / "CONCEPT.csv").read_text())
    with pytest.raises(VocabularyError, match=r"no CONCEPT_RELATIONSHIP\.csv"):
        node.load_vocabulary(tmp_path, actor="steward")
    with pytest.raises(VocabularyError, match="does not exist"):
        node.load_vocabulary(tmp_path / "nope", actor="steward")
