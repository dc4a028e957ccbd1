"""Row restrictions of a grant (age at the grant's start, sex) on the real sample in DuckDB."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from socle.config import Settings
from socle.governance import Population
from socle.node import Node
from socle.warehouse import GrantScope, PersonFilter, ScopeError
from tests.conftest import loaded_home
from tests.helpers import approved_grant

# Person columns granted, and a grant that names no person column at all.
WITH_PERSON = (
    ("person", "year_of_birth"),
    ("person", "gender_concept_id"),
    ("condition_occurrence", "condition_source_value"),
    ("measurement", "measurement_source_value"),
    ("visit_occurrence", "visit_start_date"),
)
WITHOUT_PERSON = WITH_PERSON[2:]
WOMEN_18_44 = Population(min_age=18, max_age=44, sex="F")


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    """The 50 real sample patients, loaded once for the module."""
    node = Node.open(Settings(home=loaded_home(tmp_path_factory)))
    yield node
    node.close()


def _persons(node: Node, where: str) -> set[int]:
    """Steward aggregate computed independently of the scoped read path."""
    rows = node.warehouse.aggregate(f"SELECT person_id FROM person WHERE {where}")
    return {int(r[0]) for r in rows}


def _view_persons(node: Node, grant_id: str, tables: set[str]) -> dict[str, set[int]]:
    with node.workspace.session(grant_id, "aggregates", actor="researcher") as ws:
        return {
            t: set(ws.query(f"SELECT DISTINCT person_id FROM scoped_{t}").column(0).to_pylist())
            for t in tables
        }


@pytest.mark.parametrize("variables", [WITH_PERSON, WITHOUT_PERSON], ids=["with", "without"])
def test_women_aged_18_to_44_are_the_only_persons_in_every_scoped_view(
    sample: Node, variables: tuple[tuple[str, str], ...]
) -> None:
    year = datetime.now(UTC).date().year
    allowed = _persons(
        sample, f"gender_concept_id = 8532 AND {year} - year_of_birth BETWEEN 18 AND 44"
    )
    assert 0 < len(allowed) < 50  # the sample has persons on both sides of the restriction
    grant_id = approved_grant(sample, variables=variables, population=WOMEN_18_44)
    seen = _view_persons(sample, grant_id, {t for t, _ in variables})
    for table, persons in seen.items():
        assert persons, table
        assert persons <= allowed, table
    if "person" in seen:
        assert seen["person"] == allowed


def test_unrestricted_grant_sees_every_person(sample: Node) -> None:
    everyone = _persons(sample, "TRUE")
    grant_id = approved_grant(sample, variables=WITH_PERSON)
    seen = _view_persons(sample, grant_id, {"person", "condition_occurrence"})
    assert seen["person"] == everyone and len(everyone) == 50
    assert seen["condition_occurrence"] == everyone


def test_released_count_covers_only_the_restricted_population(sample: Node) -> None:
    year = datetime.now(UTC).date().year
    conditions = sample.warehouse.aggregate(
        "SELECT count(*) FROM condition_occurrence WHERE person_id IN (SELECT person_id "
        f"FROM person WHERE gender_concept_id = 8532 AND {year} - year_of_birth BETWEEN 18 AND 44)"
    )[0][0]
    grant_id = approved_grant(sample, variables=WITH_PERSON, population=WOMEN_18_44)
    with sample.workspace.session(grant_id, "aggregates", actor="researcher") as ws:
        table = ws.query(
            "SELECT p.gender_concept_id AS sex, count(*) AS conditions FROM scoped_person p "
            "JOIN scoped_condition_occurrence c USING (person_id) GROUP BY ALL"
        )
    rows = list(zip(*(table.column(i).to_pylist() for i in range(2)), strict=True))
    request = sample.workspace.release(
        grant_id, ["sex", "conditions"], rows, ["conditions"], actor="researcher",
        description="conditions by sex",
    )  # fmt: skip
    assert conditions >= 10
    # The desk keeps the checked table until two checkers release it.
    assert request.state == "submitted"
    assert request.items[0].rows[0] == ("8532", 5 * round(conditions / 5))


def test_scope_with_a_population_but_no_start_date_is_refused(sample: Node) -> None:
    scope = GrantScope("g", "research", {"person": ("year_of_birth",)}, population=WOMEN_18_44)
    persons = PersonFilter("research", datetime.now(UTC).date())
    with (
        pytest.raises(ScopeError, match="gives no start date"),
        sample.warehouse.scoped(scope, persons),
    ):
        pass


def test_scope_with_an_invalid_population_is_refused(sample: Node) -> None:
    today = datetime.now(UTC).date()
    scope = GrantScope(
        "g", "research", {"person": ("year_of_birth",)},
        population=Population(min_age=50, max_age=20), starts=today,
    )  # fmt: skip
    with (
        pytest.raises(ScopeError, match="min_age 50 is above max_age 20"),
        sample.warehouse.scoped(scope, PersonFilter("research", today)),
    ):
        pass
