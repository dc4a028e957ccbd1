"""Researchers' SQL and cohort definitions: named results kept in the workspace, counts disclosed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pyarrow.parquet as pq
import pytest

from socle.audit import AuditEvent
from socle.config import Settings
from socle.node import Node
from socle.warehouse import QueryRefusedError
from socle.workspace import (
    CohortDefinition,
    CohortError,
    ConceptSet,
    WorkspaceError,
    compile_cohort,
    from_circe,
    trace,
)
from tests.conftest import loaded_home
from tests.helpers import approved_grant

VARIABLES = (
    ("person", "year_of_birth"),
    ("person", "gender_concept_id"),
    ("condition_occurrence", "condition_source_value"),
    ("condition_occurrence", "condition_concept_id"),
    ("condition_occurrence", "condition_start_date"),
)
# A tiny vocabulary: 900001 "disorder" with child 900002; no standard concept exists here.
DIABETES, TYPE2 = 900001, 900002


@pytest.fixture(scope="module")
def granted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Node, str]]:
    """All 50 demo patients, a grant on conditions with concepts and dates."""
    node = Node.open(Settings(home=loaded_home(tmp_path_factory)))
    # Standard concepts are not filled yet (concept ids 0): map two source codes onto the
    # tiny vocabulary above, as a vocabulary load would.
    con = node.warehouse._con
    con.execute(
        "INSERT INTO concept_ancestor VALUES (?, ?, 0, 0), (?, ?, 0, 0), (?, ?, 1, 1)",
        [DIABETES, DIABETES, TYPE2, TYPE2, DIABETES, TYPE2],
    )
    con.execute(
        "UPDATE condition_occurrence SET condition_concept_id = ? "
        "WHERE condition_source_value = 'SNOMED|44054006'",
        [TYPE2],
    )
    yield node, approved_grant(node, variables=VARIABLES)
    node.close()


def _diabetics(node: Node) -> set[int]:
    rows = node.warehouse.aggregate(
        "SELECT DISTINCT person_id FROM condition_occurrence "
        "WHERE condition_source_value = 'SNOMED|44054006'"
    )
    return {int(r[0]) for r in rows}


def test_sql_result_stays_in_the_workspace_and_shows_only_a_disclosed_count(
    granted: tuple[Node, str],
) -> None:
    node, grant_id = granted
    result = node.workspace.queries.run_sql(
        grant_id, "adults",
        "SELECT person_id, year_of_birth FROM scoped_person WHERE year_of_birth < 2000",
        actor="researcher",
    )  # fmt: skip
    exact = pq.read_table(result.path).num_rows
    assert result.columns == ("person_id", "year_of_birth")
    assert result.rows_disclosed is None or (
        result.rows_disclosed % 5 == 0 and abs(result.rows_disclosed - exact) <= 2
    )
    assert str(result.path).startswith(str(node.settings.workspace_dir))
    event = next(e for e in node.audit.events("workspace.sql") if e.object == result.id)
    assert event.details["sha256"] == result.sha256 and event.role == "principal_investigator"
    assert node.workspace.queries.result(grant_id, "adults").id == result.id


def test_small_result_count_is_suppressed(granted: tuple[Node, str]) -> None:
    node, grant_id = granted
    result = node.workspace.queries.run_sql(
        grant_id, "few", "SELECT person_id FROM scoped_person LIMIT 3", actor="researcher"
    )
    assert result.rows_disclosed is None


def test_sql_outside_the_grant_is_refused_and_nothing_is_kept(granted: tuple[Node, str]) -> None:
    node, grant_id = granted
    with pytest.raises(QueryRefusedError):
        node.workspace.queries.run_sql(
            grant_id, "leak", "SELECT person_source_value FROM main.person", actor="researcher"
        )
    with pytest.raises(Exception, match="no result named 'leak'"):
        node.workspace.queries.result(grant_id, "leak")


def test_cohort_by_concept_with_descendants_finds_every_diabetic(
    granted: tuple[Node, str],
) -> None:
    node, grant_id = granted
    cohort = CohortDefinition(
        name="diabetes", domain="condition", concept_set=ConceptSet(with_descendants=(DIABETES,))
    )
    result = node.workspace.queries.run_cohort(grant_id, cohort, actor="researcher")
    members = pq.read_table(result.path).to_pylist()
    assert len(_diabetics(node)) >= 2
    assert {m["person_id"] for m in members} == _diabetics(node)
    assert len(members) == len({m["person_id"] for m in members})  # first event: one per person
    assert result.columns == ("person_id", "index_date", "age_at_index", "gender_concept_id")


def test_cohort_without_descendants_misses_the_child_concept(granted: tuple[Node, str]) -> None:
    node, grant_id = granted
    cohort = CohortDefinition(
        name="parent_only", domain="condition", concept_set=ConceptSet(concepts=(DIABETES,))
    )
    result = node.workspace.queries.run_cohort(grant_id, cohort, actor="researcher")
    assert pq.read_table(result.path).num_rows == 0


def test_cohort_age_sex_and_window_restrict_members(granted: tuple[Node, str]) -> None:
    node, grant_id = granted
    cohort = CohortDefinition(
        name="older_women", domain="condition", source_codes=("SNOMED|44054006",),
        min_age=40, sex="F", window_start=date(2000, 1, 1), window_end=date(2030, 12, 31),
    )  # fmt: skip
    members = pq.read_table(
        node.workspace.queries.run_cohort(grant_id, cohort, actor="researcher").path
    )
    rows = members.to_pylist()
    assert all(r["gender_concept_id"] == 8532 and r["age_at_index"] >= 40 for r in rows)
    assert all(date(2000, 1, 1) <= r["index_date"] <= date(2030, 12, 31) for r in rows)
    assert {r["person_id"] for r in rows} <= _diabetics(node)


def test_cohort_needing_an_ungranted_column_is_refused(granted: tuple[Node, str]) -> None:
    node, grant_id = granted
    cohort = CohortDefinition(name="drugs", domain="drug", concept_set=ConceptSet(concepts=(1,)))
    with pytest.raises(Exception, match="does not include drug_exposure"):
        node.workspace.queries.run_cohort(grant_id, cohort, actor="researcher")


CIRCE = {
    "ConceptSets": [
        {
            "id": 0,
            "name": "Type 2 diabetes",
            "expression": {
                "items": [
                    {"concept": {"CONCEPT_ID": DIABETES}, "includeDescendants": True},
                    {"concept": {"CONCEPT_ID": 123}, "isExcluded": True},
                ]
            },
        }
    ],
    "PrimaryCriteria": {
        "CriteriaList": [
            {
                "ConditionOccurrence": {
                    "CodesetId": 0, "First": True,
                    "Age": {"Value": 18, "Op": "gte"},
                    "Gender": [{"CONCEPT_ID": 8532}],
                    "OccurrenceStartDate": {"Value": "2000-01-01", "Op": "gt"},
                }
            }
        ],
        "ObservationWindow": {"PriorDays": 0, "PostDays": 0},
        "PrimaryCriteriaLimit": {"Type": "First"},
    },
    "InclusionRules": [],
    "EndStrategy": {"DateOffset": {"DateField": "StartDate", "Offset": 0}},
}  # fmt: skip


def test_circe_definition_is_imported_onto_the_cohort_model() -> None:
    cohort = from_circe(CIRCE, "t2d")
    assert cohort.domain == "condition" and cohort.sex == "F" and cohort.min_age == 18
    assert cohort.concept_set == ConceptSet((), (DIABETES,), (123,))
    assert cohort.window_start == date(2000, 1, 2) and cohort.index == "first"
    assert any("EndStrategy" in n for n in cohort.notes)
    assert "vocab_concept_ancestor" in compile_cohort(cohort)


def test_circe_features_beyond_the_model_are_refused_by_name() -> None:
    with pytest.raises(CohortError, match="InclusionRules"):
        from_circe({**CIRCE, "InclusionRules": [{"name": "HbA1c"}]}, "t2d")
    visit = {**CIRCE, "PrimaryCriteria": {"CriteriaList": [{"VisitOccurrence": {}}]}}
    with pytest.raises(CohortError, match="VisitOccurrence"):
        from_circe(visit, "t2d")


def test_circe_cohort_runs_on_the_scoped_views(granted: tuple[Node, str]) -> None:
    node, grant_id = granted
    result = node.workspace.queries.run_cohort(
        grant_id, from_circe(CIRCE, "t2d_women"), actor="researcher"
    )
    rows = pq.read_table(result.path).to_pylist()
    assert {r["person_id"] for r in rows} <= _diabetics(node)
    assert all(r["gender_concept_id"] == 8532 for r in rows)


def _event(seq: int, action: str, obj: str, **details: object) -> AuditEvent:
    return AuditEvent(seq, "2026-01-01T00:00:00", "a", "r", action, obj, "research", "ok",
                      dict(details), "0" * 64, f"{seq:064d}")  # fmt: skip


def test_trace_follows_a_release_desk_request_to_its_job_and_decision() -> None:
    events = [
        _event(1, "request.create", "req-1"),
        _event(2, "request.approved", "req-1", reviewers=2),
        _event(3, "grant.issue", "grant-1", request="req-1"),
        _event(4, "workspace.job.start", "job-1", grant="grant-1", results={}),
        _event(5, "workspace.job.end", "job-1", grant="grant-1", outputs={"t.csv": "ab"}),
        _event(
            6,
            "release.request",
            "out-1",
            grant="grant-1",
            sources=[{"job": "job-1", "file": "t.csv", "sha256": "ab"}],
        ),
        _event(7, "release.approved", "out-1"),
        _event(8, "release.approved", "out-1"),
        _event(9, "release.released", "out-1", grant="grant-1", files={"t.csv": "cd"}),
    ]
    kinds = [link.kind for link in trace("out-1", events)]
    assert kinds == [
        "release", "output check", "output check", "output request", "job output", "job",
        "grant", "decision", "request",
    ]  # fmt: skip
    tampered = [
        *events[:4],
        _event(5, "workspace.job.end", "job-1", outputs={"t.csv": "xx"}),
        *events[5:],
    ]
    with pytest.raises(WorkspaceError, match="does not match the hash"):
        trace("out-1", tampered)
