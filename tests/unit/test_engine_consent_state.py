"""A consent state is stored once per engine and named by the sessions that read under it.

The objectors' ids are not sent again with every checkpoint session: the engine
keeps each state as a table, so the same state is reused, a changed state gets
its own table, and no workspace query can read the stored ids.
"""

from __future__ import annotations

from contextlib import closing
from pathlib import Path

import pytest

from socle.node import Node
from socle.warehouse import (
    DuckDBEngine,
    EngineReader,
    GrantScope,
    PersonFilter,
    QueryRefusedError,
)
from socle.warehouse.engine import IDS_SCHEMA, KEPT_ID_SETS
from tests.helpers import today

SCOPE = GrantScope("g", "research", {"person": ("year_of_birth",)})


@pytest.fixture
def engine(loaded: Node, tmp_path: Path) -> DuckDBEngine:
    cdm = loaded.export_parquet(tmp_path / "cdm", actor="steward", buckets=2)
    return DuckDBEngine(cdm)


def _reader(engine: DuckDBEngine, excluded: set[int]) -> EngineReader:
    persons = PersonFilter("research", today(), excluded_person_ids=frozenset(excluded))
    return EngineReader(engine, SCOPE, persons)


def _seen(reader: EngineReader) -> set[int]:
    return {r["person_id"] for r in reader.query("SELECT person_id FROM scoped_person").to_pylist()}


def _people(engine: DuckDBEngine) -> list[int]:
    session = engine.session()
    try:
        return sorted(session.run("SELECT person_id FROM person").column(0).to_pylist())
    finally:
        session.close()


def test_same_state_reuses_its_table_and_a_new_objection_filters_anew(
    engine: DuckDBEngine,
) -> None:
    people = _people(engine)
    assert len(people) == 3
    for _ in range(2):
        with closing(_reader(engine, {people[0]})) as reader:
            assert _seen(reader) == set(people[1:])
    assert len(engine._id_sets) == 1, "the same state was stored twice"
    with closing(_reader(engine, {people[0], people[1]})) as reader:  # one more objection
        assert _seen(reader) == {people[2]}
    with closing(_reader(engine, set())) as reader:  # nobody objecting: no relation needed
        assert _seen(reader) == set(people)
    assert len(engine._id_sets) == 2


def test_states_in_use_are_kept_and_unused_ones_dropped_past_the_limit(
    engine: DuckDBEngine,
) -> None:
    people = _people(engine)
    states = [{people[0], 10_000_000 + i} for i in range(KEPT_ID_SETS + 3)]
    readers = [_reader(engine, s) for s in states]  # all open at once: none may be dropped
    try:
        assert all(_seen(r) == set(people[1:]) for r in readers)
    finally:
        for r in readers:
            r.close()
    with closing(_reader(engine, {people[1]})) as reader:
        assert _seen(reader) == {people[0], people[2]}
    assert len(engine._id_sets) == KEPT_ID_SETS


def test_a_workspace_query_cannot_read_the_stored_objectors(engine: DuckDBEngine) -> None:
    people = _people(engine)
    with closing(_reader(engine, {people[0]})) as reader:
        for sql in (
            f"SELECT person_id FROM {IDS_SCHEMA}._socle_ids_0",
            "SELECT person_id FROM _socle_ids_0",
            "SELECT person_id FROM _excluded",
        ):
            with pytest.raises(QueryRefusedError):
                reader.query(sql)
