"""For random consent histories and random cohort queries, the output holds exactly the
cohort's patients whose state includes the purpose: no excluded patient ever appears, and
every included one can.

The oracle replays each history in plain Python (latest event by effective date, then
recording order), independently of the registry's SQL derivation.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socle.audit import AuditLog
from socle.config import Settings
from socle.consent import ConsentEvent, ConsentRegistry, load_taxonomy
from socle.node import Node, store_tables
from socle.store import create_tables, open_engine
from socle.warehouse import GrantScope
from tests.conftest import SAMPLE
from tests.helpers import today

TAXONOMY = load_taxonomy()
PURPOSES = sorted(TAXONOMY.purposes)
SCOPE_COLUMNS: dict[str, tuple[str, ...]] = {
    "person": ("year_of_birth", "gender_concept_id"),
    "condition_occurrence": ("condition_source_value", "condition_start_date"),
}


@dataclass(frozen=True)
class World:
    node: Node
    persons: list[int]
    conditions: list[str]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("consent-property")
    (root / "input").mkdir()
    for bundle in sorted(SAMPLE.glob("*.json.gz"))[:8]:
        shutil.copy(bundle, root / "input" / bundle.name)
    node = Node.open(Settings(home=root / "home"))
    node.load(root / "input", actor="test")
    persons = [int(p) for (p,) in node.warehouse.aggregate("SELECT person_id FROM person")]
    conditions = [
        str(c)
        for (c,) in node.warehouse.aggregate(
            "SELECT condition_source_value FROM condition_occurrence "
            "GROUP BY 1 ORDER BY count(DISTINCT person_id) DESC, 1 LIMIT 10"
        )
    ]
    yield World(node, sorted(persons), conditions)
    node.close()


def _kind(purpose: str, include: bool) -> str:
    if TAXONOMY.get(purpose).rule == "opt-out":
        return "withdraw_objection" if include else "objection"
    return "opt_in" if include else "withdraw_opt_in"


def events_for(purpose: str) -> st.SearchStrategy[list[tuple[int, str, bool, int]]]:
    """Histories mostly about the queried purpose, so they overlap and contradict."""
    return st.lists(
        st.tuples(
            st.integers(0, 3),  # person index: few persons, many overlapping events
            st.sampled_from([purpose, purpose, purpose, *PURPOSES]),
            st.booleans(),  # include?
            st.integers(0, 20),  # days before today it takes effect
        ),
        min_size=1,
        max_size=40,
    )


# A cohort query: which table drives it, a condition, a birth-year bound, a sex.
queries_strategy = st.tuples(
    st.sampled_from(["person", "condition", "condition_since"]),
    st.integers(0, 9),
    st.integers(1900, 2015),
    st.sampled_from([None, 8507, 8532]),
)


def _sql(kind: str, prefix: str, min_year: int, sex: int | None) -> tuple[str, list[object]]:
    person_where = "p.year_of_birth >= ?" + (" AND p.gender_concept_id = ?" if sex else "")
    params: list[object] = [min_year, *([sex] if sex else [])]
    if kind == "person":
        return f"SELECT p.person_id FROM {prefix}person p WHERE {person_where}", params
    since = " AND c.condition_start_date >= DATE '2010-01-01'" if kind == "condition_since" else ""
    return (
        f"""SELECT DISTINCT c.person_id FROM {prefix}condition_occurrence c
        JOIN {prefix}person p USING (person_id)
        WHERE c.condition_source_value = ?{since} AND {person_where}""",
        ["__condition__", *params],
    )


def _oracle(events: list[ConsentEvent], person: int, purpose: str, as_of: date) -> bool:
    state = TAXONOMY.get(purpose).rule == "opt-out"
    relevant = [
        (e.effective, i, e.kind)
        for i, e in enumerate(events)
        if e.person_id == person and e.purpose == purpose and e.effective <= as_of
    ]
    if relevant:
        state = max(relevant)[2] in ("withdraw_objection", "opt_in")
    return state


@settings(max_examples=60, deadline=None, database=None)
@given(
    data=st.data(),
    purpose=st.sampled_from(PURPOSES),
    as_of_days=st.integers(0, 20),
    query=queries_strategy,
)
def test_output_holds_exactly_the_included_patients_of_the_cohort(
    world: World,
    data: st.DataObject,
    purpose: str,
    as_of_days: int,
    query: tuple[str, int, int, int | None],
) -> None:
    history = data.draw(events_for(purpose), label="history")
    engine = create_tables(open_engine("sqlite://"), store_tables())
    registry = ConsentRegistry(engine, AuditLog(engine), TAXONOMY)
    events = [
        ConsentEvent(
            world.persons[i % len(world.persons)], p, _kind(p, inc),  # type: ignore[arg-type]
            today() - timedelta(days=d), "portal", "patient",
        )
        for i, p, inc, d in history
    ]  # fmt: skip
    # Recorded in several calls, as they would arrive over time.
    for start in range(0, len(events), 7):
        registry.record(events[start : start + 7], actor="p", role="patient")
    as_of = today() - timedelta(days=as_of_days)

    kind, condition_index, min_year, sex = query
    condition = world.conditions[condition_index % len(world.conditions)]
    sql, params = _sql(kind, "scoped_", min_year, sex)
    params = [condition if p == "__condition__" else p for p in params]
    scope = GrantScope("g-prop", purpose, SCOPE_COLUMNS)
    persons = registry.person_filter(purpose, as_of)
    with world.node.warehouse.scoped(scope, persons) as ws:
        output = set(ws.query(sql, params).column(0).to_pylist())

    raw_sql, _ = _sql(kind, "", min_year, sex)
    cohort = {int(p) for (p,) in world.node.warehouse.aggregate(raw_sql, params)}
    allowed = {p for p in world.persons if _oracle(events, p, purpose, as_of)}
    assert not output - allowed, "a patient whose state excludes the purpose appeared"
    assert output == cohort & allowed, "a patient whose state includes the purpose is missing"
    visible = {
        p
        for p in world.persons
        if p not in persons.excluded_person_ids
        and (persons.included_only is None or p in persons.included_only)
    }
    assert visible == allowed, "the filter disagrees with the replayed histories"
    for p in world.persons:
        assert registry.state(p, purpose, as_of) == (p in allowed)
    engine.dispose()
