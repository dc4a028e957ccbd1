"""The governed query suite runs on DuckDB and on Spark (local mode) with identical results.

One warehouse of the 50 demo patients, with objectors and a grant restricted by
population and period, is exported as a Parquet CDM; the same services (the
checkpoint's scoped views, the workspace's SQL, counts and cohorts, the
catalogue's counts, quality checks) run on the DuckDB file, on DuckDB reading
the Parquet files and on Spark reading them, and every result must be equal.
One Spark session serves every test here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow.parquet as pq
import pytest

from socle.config import Settings
from socle.consent import ConsentEvent
from socle.governance import Population
from socle.node import Node
from socle.quality.dqd import field_checks
from socle.warehouse import (
    DuckDBEngine,
    Engine,
    GrantScope,
    ParquetCDM,
    PersonFilter,
    QueryRefusedError,
    SparkEngine,
)
from socle.warehouse.engine import KEPT_ID_SETS
from socle.workspace import CohortDefinition, ConceptSet
from tests.conftest import loaded_home
from tests.helpers import approved_grant, today

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

pytestmark = pytest.mark.slow

VARIABLES = (
    ("person", "year_of_birth"),
    ("person", "gender_concept_id"),
    ("condition_occurrence", "condition_source_value"),
    ("condition_occurrence", "condition_concept_id"),
    ("condition_occurrence", "condition_start_date"),
    ("drug_exposure", "drug_source_value"),
    ("drug_exposure", "drug_exposure_start_date"),
)
DIABETES, TYPE2, DIABETES_CODE = 900001, 900002, "SNOMED|44054006"
QUALITY = ("isPrimaryKey", "isRequired", "isForeignKey", "measureValueCompleteness")


@pytest.fixture(scope="session")
def spark() -> Iterator[SparkSession]:
    """One Spark local session for every Spark test: 1 core, 1 shuffle partition, no UI."""
    from socle.warehouse import spark_session

    session = spark_session("local[1]", shuffle_partitions=1)
    yield session
    session.stop()


@dataclass
class Governed:
    node: Node
    grant_id: str
    dataset_id: str
    cdm: ParquetCDM
    objectors: frozenset[int]


@pytest.fixture(scope="module")
def governed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Governed]:
    base = tmp_path_factory.mktemp("engines")
    node = Node.open(Settings(home=loaded_home(tmp_path_factory, dest=base / "home")))
    con = node.warehouse._con  # a vocabulary load would map these; the fixture does it by hand
    con.execute(
        "INSERT INTO concept_ancestor VALUES (?, ?, 0, 0), (?, ?, 0, 0), (?, ?, 1, 1)",
        [DIABETES, DIABETES, TYPE2, TYPE2, DIABETES, TYPE2],
    )
    con.execute(
        "UPDATE condition_occurrence SET condition_concept_id = ? WHERE condition_source_value = ?",
        [TYPE2, DIABETES_CODE],
    )
    people = sorted(int(r[0]) for r in node.warehouse.aggregate("SELECT person_id FROM person"))
    # Every 7th person objects to research, but never the first diabetic: person ids come from
    # a fresh key each run, and the sample's two diabetics must not both fall among objectors.
    first_diabetic = node.warehouse.aggregate(
        "SELECT person_id FROM condition_occurrence WHERE condition_concept_id = ? "
        "ORDER BY condition_start_date, person_id LIMIT 1",
        [TYPE2],
    )[0][0]
    objectors = frozenset(people[::7]) - {int(first_diabetic)}
    node.consent.record(
        [ConsentEvent(p, "research", "objection", today(), "portal", "patient") for p in objectors],
        actor="patient", role="patient",
    )  # fmt: skip
    grant_id = approved_grant(node, variables=VARIABLES, population=Population(min_age=18))
    request_id = node.governance.grant(grant_id).request_id
    dataset_id = node.governance.request(request_id)[0].dataset_id
    cdm = node.export_parquet(base / "cdm", actor="steward", buckets=4)
    yield Governed(node, grant_id, dataset_id, cdm, objectors)
    node.close()


@contextmanager
def engine(node: Node, make: Callable[[], Engine] | None) -> Iterator[None]:
    """Purposeful reads of ``node`` run on ``make()``'s engine (``None``: the DuckDB file)."""
    node.warehouse.engine = make
    try:
        yield
    finally:
        node.warehouse.engine = None


def _rows(table: Any) -> list[tuple[Any, ...]]:
    return sorted(tuple(r.values()) for r in table.to_pylist())


def governed_suite(g: Governed, aggregate: Callable[[str], Any]) -> dict[str, Any]:
    """Every governed query of the checkpoint, on whatever engine the warehouse uses now."""
    node, grant_id = g.node, g.grant_id
    found: dict[str, Any] = {}
    ws = node.workspace
    with ws.session(grant_id, "aggregates", actor="researcher") as reader:
        for view in reader.views:
            if view.startswith("scoped_"):
                found[view] = _rows(reader.query(f"SELECT * FROM {view}"))
    opt_in = PersonFilter("research", today(), included_only=frozenset(sorted(g.objectors)[:3]))
    scope = GrantScope("g-opt-in", "research", {"person": ("year_of_birth",)})
    with node.warehouse.scoped(scope, opt_in) as reader:
        found["opt_in"] = _rows(reader.query("SELECT person_id FROM scoped_person"))
    found["condition_counts"] = ws._condition_rows(
        grant_id, DIABETES_CODE, ("age_band", "sex"), actor="researcher"
    )
    sql = """
        WITH firsts AS (
            SELECT person_id, min(condition_start_date) AS first_date, count(*) AS n
            FROM scoped_condition_occurrence GROUP BY person_id
        )
        SELECT p.year_of_birth, f.n, f.first_date,
               rank() OVER (PARTITION BY p.year_of_birth ORDER BY f.n DESC, p.person_id) AS r
        FROM firsts f JOIN scoped_person p USING (person_id)
        WHERE f.first_date >= DATE '1950-01-01'
    """
    result = ws.queries.run_sql(grant_id, "firsts", sql, actor="researcher")
    found["sql"] = _rows(pq.read_table(result.path))
    cohort = CohortDefinition(
        name="diabetes", domain="condition", concept_set=ConceptSet(with_descendants=(DIABETES,)),
        min_age=18, prior_observation_days=0,
    )  # fmt: skip
    result = ws.queries.run_cohort(grant_id, cohort, actor="researcher")
    found["cohort"] = _rows(pq.read_table(result.path))
    counts = node.catalog.counts(
        g.dataset_id, warehouse=node.warehouse, consent=node.consent, purpose="research",
        actor="steward",
    )  # fmt: skip
    found["catalogue"] = (counts.persons, counts.by_table, counts.by_sex)
    checks = [
        c for c in field_checks() if c.name in QUALITY and c.table in ("person", "drug_exposure")
    ]
    found["quality"] = [(c.violated_sql, aggregate(c.violated_sql)) for c in checks[:12]]
    return found


def _run(engine_: Engine, sql: str) -> Any:
    session = engine_.session()
    try:
        return session.run(sql).column(0)[0].as_py()
    finally:
        session.close()


def test_governed_suite_gives_identical_results_on_duckdb_and_spark(
    governed: Governed, spark: SparkSession
) -> None:
    node = governed.node
    on_file = governed_suite(governed, lambda sql: node.warehouse.aggregate(sql)[0][0])
    duck = DuckDBEngine(governed.cdm)
    with engine(node, lambda: duck):
        on_parquet = governed_suite(governed, lambda sql: _run(duck, sql))
    sparked = SparkEngine(governed.cdm, spark)
    with engine(node, lambda: sparked):
        on_spark = governed_suite(governed, lambda sql: _run(sparked, sql))
    # The suite reads real rows: objectors out, adults only, conditions and a cohort found.
    adults = [r for r in on_file["scoped_person"] if r[1] <= date.today().year - 18]
    assert len(adults) == len(on_file["scoped_person"]) > 10
    assert not {r[0] for r in on_file["scoped_person"]} & governed.objectors
    assert on_file["cohort"] and on_file["scoped_condition_occurrence"]
    assert {r[0] for r in on_file["opt_in"]} <= governed.objectors
    for key in on_file:
        assert on_parquet[key] == on_file[key], f"DuckDB on Parquet differs on {key}"
        assert on_spark[key] == on_file[key], f"Spark differs on {key}"


def test_spark_refuses_what_the_checkpoint_refuses(governed: Governed, spark: SparkSession) -> None:
    node = governed.node
    sparked = SparkEngine(governed.cdm, spark)
    with engine(node, lambda: sparked), pytest.raises(QueryRefusedError, match="not a view"):
        node.workspace.queries.run_sql(
            governed.grant_id, "leak", "SELECT person_source_value FROM person",
            actor="researcher",
        )  # fmt: skip


def test_engine_setting_makes_purposeful_reads_run_on_spark(
    governed: Governed, spark: SparkSession, tmp_path: Path
) -> None:
    settings = Settings(home=tmp_path / "home", engine="spark", parquet_dir=governed.cdm.folder)
    node = Node.open(settings)
    try:
        assert isinstance(node.warehouse.engine and node.warehouse.engine(), SparkEngine)
        scope = GrantScope("g", "research", {"person": ("year_of_birth",)})
        persons = PersonFilter("research", today() + timedelta(days=0))
        with node.warehouse.scoped(scope, persons) as reader:
            rows = reader.query("SELECT count(*) AS n FROM scoped_person").to_pylist()
        # The node's own DuckDB file is empty: the count comes from the Parquet CDM.
        assert rows == [{"n": governed.cdm.rows["person"]}]
    finally:
        node.close()


def test_spark_keeps_each_consent_state_once_and_frees_the_dropped_ones(
    governed: Governed, spark: SparkSession
) -> None:
    sparked = SparkEngine(governed.cdm, spark)

    def persistent() -> set[int]:  # ids of the RDDs the executors hold
        return set(spark.sparkContext._jsc.getPersistentRDDs().keys())

    states = [frozenset({1, 10_000_000 + i}) for i in range(KEPT_ID_SETS + 2)]
    names = [sparked.acquire_ids(s) for s in states]  # all in use: none may be dropped
    blocks = {n: sparked._frames[n]._jdf.queryExecution().analyzed().rdd().id() for n in names}
    assert len(set(names)) == len(states) and set(blocks.values()) <= persistent()
    assert sparked.acquire_ids(states[0]) == names[0], "the same state was stored twice"
    ids = spark.table(sparked.ids_view(names[0])).toArrow().column(0).to_pylist()
    assert sorted(ids) == sorted(states[0])
    for name in [*names, names[0]]:
        sparked.release_ids(name)
    sparked.acquire_ids(frozenset({2}))  # past the limit: the oldest unused states go
    dropped = [n for n in names if n not in sparked._frames]
    assert len(dropped) == len(states) + 1 - KEPT_ID_SETS
    assert not {blocks[n] for n in dropped} & persistent(), "a dropped state's blocks were kept"
