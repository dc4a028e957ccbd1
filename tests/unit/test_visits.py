"""Visits as ETL-Synthea builds them: inpatient encounters less than a day apart are one stay,
each encounter stays a visit_detail of it, and every event points at the stay."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from socle.node import Node
from tests.conftest import SAMPLE

# A real patient of the sample with two inpatient encounters that overlap by a few hours
# (2016-01-15 → 01-17, then 01-17 → 01-18) and one stay years earlier.
PATIENT = "Olivia294_Raya927_142804af-5d46-a321-215f-620222d1dabe.json.gz"
EVENTS = ("condition_occurrence", "procedure_occurrence", "measurement", "observation")


@pytest.fixture
def stays(node: Node, tmp_path: Path) -> Node:
    folder = tmp_path / "stays"
    folder.mkdir()
    shutil.copy(SAMPLE / PATIENT, folder / PATIENT)
    node.load(folder, actor="test")
    return node


def _rows(node: Node, sql: str) -> list[tuple[Any, ...]]:
    return node.warehouse.aggregate(sql)


def test_inpatient_encounters_less_than_a_day_apart_are_one_stay(stays: Node) -> None:
    details = _rows(
        stays,
        "SELECT visit_detail_id, visit_occurrence_id, visit_detail_start_datetime, "
        "visit_detail_end_datetime FROM visit_detail WHERE visit_detail_concept_id = 9201 "
        "ORDER BY visit_detail_start_datetime",
    )
    assert len(details) == 3
    first, second, third = details
    assert first[1] == first[0]  # the 1992 stay stands alone
    assert second[1] == third[1] == second[0]  # the two 2016 encounters: one stay, the first's id
    [(concept, start, end)] = _rows(
        stays,
        "SELECT visit_concept_id, visit_start_datetime, visit_end_datetime FROM visit_occurrence "
        f"WHERE visit_occurrence_id = {second[0]}",
    )
    assert (concept, start, end) == (9201, second[2], max(second[3], third[3]))
    assert not _rows(
        stays, f"SELECT 1 FROM visit_occurrence WHERE visit_occurrence_id = {third[0]}"
    )


def test_every_event_and_detail_points_at_a_visit_that_exists(stays: Node) -> None:
    [(details, visits)] = _rows(
        stays, "SELECT (SELECT count(*) FROM visit_detail), (SELECT count(*) FROM visit_occurrence)"
    )
    assert details > visits
    for table in ("visit_detail", *EVENTS, "drug_exposure"):
        dangling = _rows(
            stays,
            f"SELECT count(*) FROM {table} WHERE visit_occurrence_id IS NOT NULL AND "
            "visit_occurrence_id NOT IN (SELECT visit_occurrence_id FROM visit_occurrence)",
        )
        assert dangling == [(0,)], table
    # An event of the merged-away encounter keeps its detail and moves to the stay.
    moved = _rows(
        stays,
        "SELECT count(*) FROM condition_occurrence c JOIN visit_detail d "
        "ON d.visit_detail_id = c.visit_detail_id WHERE c.visit_occurrence_id = d.visit_occurrence_id",
    )
    assert moved == _rows(
        stays, "SELECT count(*) FROM condition_occurrence WHERE visit_detail_id IS NOT NULL"
    )


def test_details_within_a_stay_belong_to_it_and_follow_each_other(stays: Node) -> None:
    inside = _rows(
        stays,
        "SELECT d.visit_detail_concept_id FROM visit_detail d JOIN visit_occurrence v "
        "ON v.visit_occurrence_id = d.visit_occurrence_id WHERE v.visit_concept_id = 9201 "
        "AND d.visit_detail_concept_id <> 9201",
    )
    # Outpatient encounters started during a stay join it (ETL-Synthea's AAVITable rule).
    assert all(concept != 9203 for (concept,) in inside)
    [(first_details, persons)] = _rows(
        stays,
        "SELECT count(*) FILTER (WHERE preceding_visit_detail_id IS NULL), "
        "count(DISTINCT person_id) FROM visit_detail",
    )
    assert first_details == persons == 1


def test_merging_again_changes_nothing(stays: Node, tmp_path: Path) -> None:
    query = (
        "SELECT visit_occurrence_id, visit_concept_id, visit_start_datetime, visit_end_datetime, "
        "preceding_visit_occurrence_id FROM visit_occurrence ORDER BY visit_occurrence_id"
    )
    before = _rows(stays, query)
    stays.load(tmp_path / "stays", actor="test")  # the same encounters again
    assert _rows(stays, query) == before
