"""OHDSI vocabularies: loading both file forms, mapping by OHDSI conventions, domain routing."""

from __future__ import annotations

import csv
import gzip
import shutil
from pathlib import Path

import pytest

from socle.node import Node
from socle.warehouse import VocabularyError
from socle.warehouse.mapping import DOMAIN_TABLE, EVENT_COLUMNS

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "vocabulary"
DEMO_VOCABULARY = Path(__file__).resolve().parents[2] / "data" / "vocabulary"


def _pairs(node: Node, sql: str, value: str) -> set[tuple[int, ...]]:
    return set(node.warehouse.aggregate(sql, [value]))


def _check_mapped(node: Node) -> None:
    assert _pairs(
        node,
        "SELECT DISTINCT observation_concept_id, observation_source_concept_id "
        "FROM observation WHERE observation_source_value = ?",
        "SNOMED|314529007",
    ) == {(900000002, 900000001)}, "a condition code of the Observation domain is routed there"
    assert not _pairs(
        node,
        "SELECT condition_occurrence_id FROM condition_occurrence WHERE condition_source_value = ?",
        "SNOMED|314529007",
    ), "and no longer sits in condition_occurrence"
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
    ) == {(0, 900000004)}, "a deprecated code keeps its source concept but no standard concept"
    [(unmapped,)] = node.warehouse.aggregate(
        "SELECT count(*) FROM condition_occurrence WHERE condition_concept_id = 0 "
        "AND condition_source_value LIKE 'SNOMED|%'"
    )
    assert unmapped > 0, "codes the vocabulary does not know keep concept id 0"


def _counts(node: Node) -> dict[str, int]:
    return node.warehouse.table_counts()


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
    counts = loaded.load_vocabulary(FIXTURE, actor="steward")
    assert counts["concept"] == 9 and counts["concept_relationship"] == 2
    assert counts["concept_ancestor"] == 0, "an absent optional table is left empty"
    assert counts["mapped_rows"] > 0
    _check_mapped(loaded)
    [event] = list(loaded.audit.events("warehouse.vocabulary"))
    assert event.details["concept"] == 9


def test_vocabulary_loaded_first_maps_rows_as_they_load(node: Node, small_sample: Path) -> None:
    node.load_vocabulary(FIXTURE, actor="steward")
    node.load(small_sample, actor="test")
    _check_mapped(node)


def test_reloading_data_or_vocabulary_does_not_duplicate_routed_rows(
    node: Node, small_sample: Path
) -> None:
    node.load_vocabulary(FIXTURE, actor="steward")
    node.load(small_sample, actor="test")
    first = _counts(node)
    node.load(small_sample, actor="test")
    assert _counts(node) == first
    node.load_vocabulary(FIXTURE, actor="steward")
    assert _counts(node) == first


def test_code_with_two_maps_to_targets_gives_one_row_per_target(
    loaded: Node, tmp_path: Path
) -> None:
    folder = tmp_path / "vocabulary"
    shutil.copytree(FIXTURE, folder)
    with (folder / "CONCEPT_RELATIONSHIP.csv").open("a") as f:
        f.write("900000001\t3036277\tMaps to\t19700101\t20991231\t\n")  # a second, valid target
    [(before,)] = loaded.warehouse.aggregate(
        "SELECT count(*) FROM condition_occurrence WHERE condition_source_value = ?",
        ["SNOMED|314529007"],
    )
    loaded.load_vocabulary(folder, actor="steward")
    [(observations,)] = loaded.warehouse.aggregate(
        "SELECT count(*) FROM observation WHERE observation_concept_id = 900000002"
    )
    [(measurements,)] = loaded.warehouse.aggregate(
        "SELECT count(*) FROM measurement WHERE measurement_source_value = ? "
        "AND measurement_concept_id = 3036277",
        ["SNOMED|314529007"],
    )
    assert before > 0 and observations == before and measurements == before
    counts = _counts(loaded)
    loaded.load_vocabulary(folder, actor="steward")
    assert _counts(loaded) == counts, "re-mapping replaces the extra rows, never adds more"
    loaded.load_vocabulary(FIXTURE, actor="steward")
    [(left,)] = loaded.warehouse.aggregate(
        "SELECT count(*) FROM measurement WHERE measurement_source_value = ?",
        ["SNOMED|314529007"],
    )
    assert left == 0, "a target that is gone takes its extra rows with it"


def _athena_form(source: Path, target: Path) -> None:
    """Write the ISO-date CSV vocabulary as Athena's download: tabs, YYYYMMDD, gzipped."""
    target.mkdir()
    for path in source.glob("*.csv"):
        with (
            path.open(newline="") as src,
            gzip.open(target / (path.name + ".gz"), "wt", newline="") as dst,
        ):
            rows = csv.reader(src)
            header = next(rows)
            dst.write("\t".join(header) + "\n")
            for row in rows:
                dst.write(
                    "\t".join(
                        v.replace("-", "") if "date" in h and len(v) == 10 else v
                        for h, v in zip(header, row, strict=True)
                    )
                    + "\n"
                )


def test_athena_download_and_shared_csv_form_load_the_same(
    node: Node, small_sample: Path, tmp_path: Path
) -> None:
    node.load(small_sample, actor="test")
    csv_counts = node.load_vocabulary(DEMO_VOCABULARY, actor="steward")
    mapped = _counts(node)
    athena = tmp_path / "athena"
    _athena_form(DEMO_VOCABULARY, athena)
    assert node.load_vocabulary(athena, actor="steward") == csv_counts
    assert _counts(node) == mapped
    [(start,)] = node.warehouse.aggregate(
        "SELECT min(valid_start_date)::VARCHAR FROM concept WHERE concept_id = 40316773"
    )
    assert start == "1970-01-01"


def test_every_mapped_row_sits_in_its_concept_domain_table(node: Node, small_sample: Path) -> None:
    node.load_vocabulary(DEMO_VOCABULARY, actor="steward")
    node.load(small_sample, actor="test")
    for table, cols in EVENT_COLUMNS.items():
        domains = node.warehouse.aggregate(
            f"SELECT DISTINCT c.domain_id FROM {table} x "
            f"JOIN concept c ON c.concept_id = x.{cols['concept']} WHERE c.concept_id <> 0"
        )
        for (domain,) in domains:
            assert DOMAIN_TABLE.get(domain, "observation") == table, (table, domain)
    report = node.warehouse.mapping_report()
    totals = report.totals()
    assert 0.5 < totals["share_standard"] <= totals["share_in_vocabulary"]


def test_mapping_report_suppresses_small_counts_outside_the_steward_view(loaded: Node) -> None:
    loaded.load_vocabulary(DEMO_VOCABULARY, actor="steward")
    steward = loaded.warehouse.mapping_report()
    public = loaded.warehouse.mapping_report(for_steward=False)
    assert any(n is not None and n < 10 for _, _, n in steward.unmapped) or any(
        s.rows is not None and s.rows < 10 for s in steward.shares
    )
    assert all(n is None or n >= 10 for _, _, n in public.unmapped)
    assert all(
        v is None or v >= 10 for s in public.shares for v in (s.rows, s.in_vocabulary, s.standard)
    )
    assert public.totals() == steward.totals()


def test_broken_vocabulary_file_changes_nothing(loaded: Node, tmp_path: Path) -> None:
    loaded.load_vocabulary(FIXTURE, actor="steward")
    before = _counts(loaded)
    folder = tmp_path / "broken"
    shutil.copytree(FIXTURE, folder)
    (folder / "CONCEPT_ANCESTOR.csv").write_text("ancestor\tnothing\n1\t2\n")
    with pytest.raises(VocabularyError, match=r"CONCEPT_ANCESTOR\.csv is not an OMOP"):
        loaded.load_vocabulary(folder, actor="steward")
    assert _counts(loaded) == before
    [(concepts,)] = loaded.warehouse.aggregate("SELECT count(*) FROM concept")
    assert concepts == 9


def test_missing_vocabulary_file_is_a_clear_error(node: Node, tmp_path: Path) -> None:
    (tmp_path / "CONCEPT.csv").write_text((FIXTURE / "CONCEPT.csv").read_text())
    with pytest.raises(VocabularyError, match=r"no CONCEPT_RELATIONSHIP\.csv"):
        node.load_vocabulary(tmp_path, actor="steward")
    with pytest.raises(VocabularyError, match="does not exist"):
        node.load_vocabulary(tmp_path / "nope", actor="steward")
