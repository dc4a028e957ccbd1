"""An OMOP CDM held in a PostgreSQL schema (a real server) is attached and queried through a grant."""

from __future__ import annotations

import gzip
from pathlib import Path

import psycopg

from socle.config import Settings
from socle.node import Node
from tests.conftest import shared_data
from tests.helpers import approved_grant
from tests.integration.postgres import fresh_database

TABLES = ("PERSON", "CONDITION_OCCURRENCE", "VISIT_OCCURRENCE", "OBSERVATION_PERIOD", "DEATH")


def _load_schema(url: str, cdm: Path) -> None:
    """The reference CDM's tables in schema ``cdm``, every column as text (as a dump would be)."""
    with psycopg.connect(url, autocommit=True) as pg, pg.cursor() as cur:
        cur.execute("CREATE SCHEMA cdm")
        for name in TABLES:
            raw = gzip.decompress((cdm / f"{name}.csv.gz").read_bytes())
            header = raw.split(b"\n", 1)[0].decode().split(",")
            columns = ", ".join(f'"{c}" text' for c in header)
            cur.execute(f"CREATE TABLE cdm.{name.lower()} ({columns})")
            with cur.copy(
                f"COPY cdm.{name.lower()} FROM STDIN WITH (FORMAT csv, HEADER true)"
            ) as c:
                c.write(raw)


def test_postgresql_cdm_is_attached_and_queried_through_a_grant(
    postgres_admin_url: str, tmp_path: Path
) -> None:
    url = fresh_database(postgres_admin_url).replace("postgresql+psycopg://", "postgresql://")
    _load_schema(url, shared_data("omop-cdm-synthea27nj"))
    node = Node.open(Settings(home=tmp_path / "home"))
    try:
        counts = node.attach_cdm(url, actor="steward", schema="cdm")
        assert counts["person"] == 28 and counts["condition_occurrence"] == 470
        grant_id = approved_grant(node)
        with node.workspace.session(grant_id, "aggregates", actor="researcher") as ws:
            n = ws.query("SELECT count(*) FROM scoped_condition_occurrence").column(0)[0]
        assert n.as_py() == 470
        [(tokens,)] = node.warehouse.aggregate(
            "SELECT count(*) FROM person WHERE length(person_source_value) = 32"
        )
        assert tokens == 28, "person ids of the source are replaced by keyed tokens"
    finally:
        node.close()
