"""Issue 9 item 12: a scoped reader reaches only its grant's views, decided before anything runs.

Each attack below succeeded on the convention-only checkpoint (any SQL on a
cursor of the whole database); each must now be refused before execution.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from socle.config import Settings
from socle.governance import NotOnTeamError, ProjectRequest, TeamMember
from socle.node import Node
from socle.warehouse import (
    GrantScope,
    PersonFilter,
    QueryLimitError,
    QueryRefusedError,
    Warehouse,
    WarehouseBusyError,
)
from tests.conftest import loaded_home
from tests.helpers import approved_grant, make_request, review_favourably, today

ONE_COLUMN = (("person", "year_of_birth"),)

ATTACKS = [
    "SELECT person_source_value FROM main.person",
    "SELECT person_source_value FROM person",
    'SELECT * FROM "main"."person"',
    "SELECT * FROM memory.main.person",
    "SELECT * FROM temp.main.scoped_person",
    "SELECT * FROM scoped_person WHERE person_id IN (SELECT person_id FROM main.death)",
    "SELECT * FROM _excluded",
    "WITH person AS (SELECT 1 AS x) SELECT * FROM person",
    "SELECT * FROM information_schema.tables",
    "SELECT * FROM information_schema.columns",
    "SELECT * FROM duckdb_tables()",
    "SELECT * FROM duckdb_views",
    "SELECT * FROM sqlite_master",
    "SELECT * FROM pragma_table_info('person')",
    "SELECT * FROM read_csv('/etc/passwd')",
    "SELECT * FROM read_parquet('/tmp/*.parquet')",
    "SELECT * FROM glob('/*')",
    "SELECT * FROM '/etc/passwd'",
    "SELECT * FROM query('SELECT * FROM main.person')",
    "SELECT current_setting('temp_directory')",
    "SELECT json_execute_serialized_sql('{}')",
    "SELECT 1; SELECT person_source_value FROM main.person",
    "DESCRIBE main.person",
    "SHOW TABLES",
    "SUMMARIZE main.person",
    "COPY (SELECT * FROM scoped_person) TO '/tmp/leak.csv'",
    "ATTACH '/tmp/other.duckdb' AS other",
    "PRAGMA database_list",
    "SET memory_limit = '64GB'",
    "INSTALL httpfs",
    "LOAD httpfs",
    "EXPORT DATABASE '/tmp/leak'",
    "CREATE TABLE main.copy AS SELECT * FROM main.person",
    "DELETE FROM main.person",
]


@pytest.fixture(scope="module")
def one_column(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Node, str]]:
    """A node with three patients and a grant of ``person.year_of_birth`` only."""
    node = Node.open(Settings(home=loaded_home(tmp_path_factory, bundles=3)))
    yield node, approved_grant(node, variables=ONE_COLUMN)
    node.close()


@pytest.mark.parametrize("sql", ATTACKS)
def test_query_naming_anything_but_the_grants_views_is_refused(
    one_column: tuple[Node, str], sql: str
) -> None:
    node, grant_id = one_column
    before = node.warehouse.table_counts()
    with (
        node.workspace.session(grant_id, "aggregates", actor="researcher") as ws,
        pytest.raises(QueryRefusedError),
    ):
        ws.query(sql)
    assert node.warehouse.table_counts() == before  # nothing ran


def test_one_column_grant_cannot_read_the_pseudonym_token(one_column: tuple[Node, str]) -> None:
    loaded, grant_id = one_column
    with loaded.workspace.session(grant_id, "aggregates", actor="researcher") as ws:
        with pytest.raises(QueryRefusedError, match=r"'main\.person' names a schema"):
            ws.query("SELECT person_source_value FROM main.person")
        with pytest.raises(QueryRefusedError, match="'person' is not a view of this grant"):
            ws.query("SELECT person_source_value FROM person")


def test_ordinary_analytical_sql_on_the_views_runs(loaded: Node) -> None:
    grant_id = approved_grant(loaded)
    with loaded.workspace.session(grant_id, "aggregates", actor="researcher") as ws:
        rows = ws.query(
            """
            WITH cases AS (
                SELECT DISTINCT person_id FROM scoped_condition_occurrence
                WHERE condition_source_value LIKE 'SNOMED|%'
            )
            SELECT p.gender_concept_id, count(*) AS n,
                   avg(year(current_date) - p.year_of_birth) AS mean_age
            FROM scoped_person p JOIN cases USING (person_id)
            GROUP BY ALL ORDER BY ALL
            """
        )
        assert rows.num_rows >= 1
        assert ws.query("SELECT count(*) AS n FROM scoped_person, range(2)").to_pylist() == [
            {"n": 6}
        ]


def test_actor_off_the_team_cannot_open_the_workspace(loaded: Node) -> None:
    grant_id = approved_grant(loaded)
    with (
        pytest.raises(NotOnTeamError, match="not on the team"),
        loaded.workspace.session(grant_id, "aggregates", actor="someone-else"),
    ):
        pass
    assert not [e for e in loaded.audit.events("workspace.open") if e.actor == "someone-else"]


def test_team_role_not_allowed_for_the_output_type_is_refused(loaded: Node) -> None:
    dataset = loaded.catalog.register(
        loaded.warehouse, title="t", description="d", publisher="p", actor="steward"
    )
    base = make_request(loaded, dataset.id, output_types=("model_training",))
    request = ProjectRequest(
        **{
            **base.__dict__,
            "team": (
                TeamMember("lead", "principal_investigator"),
                TeamMember("stats", "statistician"),
            ),
        }
    )
    rid = loaded.governance.create(request, actor="lead")
    loaded.governance.submit(rid, actor="lead")
    loaded.governance.start_review(rid, actor="chair")
    review_favourably(loaded, rid)
    loaded.governance.decide(rid, "approved", reviewers=["chair"], reasons="ok", actor="chair")
    grant = loaded.governance.issue_grant(
        rid,
        expires=today() + timedelta(days=365),
        actor="chair",  # (no 29 February next year)
    )
    with (
        pytest.raises(NotOnTeamError, match="statistician"),
        loaded.workspace.session(grant.id, "model_training", actor="stats"),
    ):
        pass
    with loaded.workspace.session(grant.id, "model_training", actor="lead"):
        pass


def test_audit_records_the_actors_team_role(loaded: Node) -> None:
    grant_id = approved_grant(loaded)
    loaded.workspace.condition_counts(grant_id, "SNOMED|73595000", ("sex",), actor="researcher")
    events = [e for e in loaded.audit.events() if e.action.startswith("workspace.")]
    assert events and {e.role for e in events} == {"principal_investigator"}


def test_query_past_its_time_limit_stops_with_a_clear_error(tmp_path: Path) -> None:
    scope = GrantScope("g", "research", {"person": ("year_of_birth",)})
    with (
        Warehouse(tmp_path / "w.duckdb") as warehouse,
        warehouse.scoped(scope, PersonFilter("research", today()), timeout=0.3) as ws,
        pytest.raises(QueryLimitError, match=r"stopped after 0\.3 s"),
    ):
        ws.query("SELECT count(*) FROM range(100000000000) a")


def test_query_past_its_memory_limit_stops_with_a_clear_error(tmp_path: Path) -> None:
    scope = GrantScope("g", "research", {"person": ("year_of_birth",)})
    with (
        Warehouse(tmp_path / "w.duckdb", memory_limit="32MB") as warehouse,
        warehouse.scoped(scope, PersonFilter("research", today()), timeout=30) as ws,
        pytest.raises(QueryLimitError, match=r"memory limit \(32MB\)"),
    ):
        ws.query("SELECT list(repeat('x', 100) || a::VARCHAR) FROM range(3000000) t(a)")


def test_a_reader_that_cannot_get_memory_is_told_to_retry(tmp_path: Path) -> None:
    """Under a burst of reads DuckDB may refuse a reader's set-up (its consent relations need
    memory): the caller gets an error it can act on (the API answers 503 + Retry-After)."""
    scope = GrantScope("g", "research", {"person": ("year_of_birth",)})
    objectors = PersonFilter("research", today(), frozenset(range(1, 5_000_001)))
    with (
        Warehouse(tmp_path / "w.duckdb", memory_limit="2MB") as warehouse,
        pytest.raises(WarehouseBusyError, match=r"memory \(2MB\).*try again in a few seconds"),
        warehouse.scoped(scope, objectors),
    ):
        pass
