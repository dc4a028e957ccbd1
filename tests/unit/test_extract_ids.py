"""Extracts carry INTEGER ids as the CDM v5.4 DDL declares, numbered per extract, joins kept."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from socle.node import Node
from tests.helpers import approved_grant

VARIABLES = (
    ("person", "year_of_birth"),
    ("condition_occurrence", "condition_source_value"),
    ("condition_occurrence", "visit_occurrence_id"),
    ("visit_occurrence", "visit_occurrence_id"),
    ("visit_occurrence", "visit_start_date"),
)


def test_extract_ids_are_integers_that_still_join(loaded: Node, tmp_path: Path) -> None:
    grant = approved_grant(loaded, variables=VARIABLES)
    with loaded.workspace.session(grant, "aggregates", actor="researcher") as reader:
        pseudonyms = reader.query("SELECT person_id FROM scoped_person").column("person_id")
        warehouse_persons = set(pseudonyms.to_pylist())
        files = reader.export(tmp_path / "extract")
    person = pq.read_table(files["person.parquet"])
    conditions = pq.read_table(files["condition_occurrence.parquet"])
    visits = pq.read_table(files["visit_occurrence.parquet"])
    for table, ids in (
        (person, ["person_id"]),
        (conditions, ["person_id", "visit_occurrence_id"]),
        (visits, ["person_id", "visit_occurrence_id"]),
    ):
        for column in ids:
            assert table.schema.field(column).type == pa.int32(), column
    persons = set(person.column("person_id").to_pylist())
    every_id = {
        v for table in (person, conditions, visits) for name in table.column_names
        if name.endswith("_id") and not name.endswith("concept_id")
        for v in table.column(name).to_pylist() if v is not None
    }  # fmt: skip
    assert every_id == set(range(1, len(every_id) + 1))  # one dense numbering, 1..n
    assert not persons & warehouse_persons  # the keyed pseudonyms do not leave
    assert set(conditions.column("person_id").to_pylist()) <= persons
    visit_ids = set(visits.column("visit_occurrence_id").to_pylist())
    named = {v for v in conditions.column("visit_occurrence_id").to_pylist() if v is not None}
    assert named and named <= visit_ids  # every condition still finds its visit


def test_named_results_share_the_extracts_numbering(loaded: Node, tmp_path: Path) -> None:
    grant = approved_grant(loaded, variables=VARIABLES)
    result = loaded.workspace.queries.run_sql(
        grant, "born", "SELECT person_id, year_of_birth FROM scoped_person", actor="researcher"
    )
    with loaded.workspace.session(grant, "aggregates", actor="researcher") as reader:
        files = reader.export(tmp_path / "extract", {"born": result.path})
    person = pq.read_table(files["person.parquet"]).to_pydict()
    born = pq.read_table(files["results/born.parquet"])
    assert born.schema.field("person_id").type == pa.int32()
    by_id = dict(zip(person["person_id"], person["year_of_birth"], strict=True))
    for pid, year in zip(*born.to_pydict().values(), strict=True):
        assert by_id[pid] == year
