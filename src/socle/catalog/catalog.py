"""The catalogue: datasets with standard metadata and a variable dictionary.

Metadata follows the HealthDCAT-AP vocabulary (title, description, publisher,
temporal and population coverage); the dictionary is derived from the
warehouse profile. Published counts below the small-cell threshold are hidden.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import Column, Date, Engine, Float, Integer, String, Table, Text, select

from socle.audit import AuditLog
from socle.errors import SocleError
from socle.store import metadata
from socle.warehouse import Warehouse, column_profiles, temporal_coverage

dataset = Table(
    "catalog_dataset",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("title", String(300), nullable=False),
    Column("description", Text, nullable=False),
    Column("publisher", String(200), nullable=False),
    Column("population", Integer, nullable=False),
    Column("coverage_start", Date),
    Column("coverage_end", Date),
    Column("registered_at", String(40), nullable=False),
)

variable = Table(
    "catalog_variable",
    metadata,
    Column("dataset_id", String(40), primary_key=True),
    Column("table_name", String(80), primary_key=True),
    Column("column_name", String(80), primary_key=True),
    Column("type", String(40), nullable=False),
    Column("completeness", Float, nullable=False),
    Column("distinct_values", Integer),
)


class CatalogError(SocleError):
    """Base of catalogue errors."""


@dataclass(frozen=True)
class Variable:
    table: str
    column: str
    type: str
    completeness: float
    distinct_values: int | None


@dataclass(frozen=True)
class Dataset:
    id: str
    title: str
    description: str
    publisher: str
    population: int | None  # None when below the small-cell threshold
    coverage_start: date | None
    coverage_end: date | None
    variables: tuple[Variable, ...]


class Catalog:
    def __init__(self, engine: Engine, audit: AuditLog, small_cell_threshold: int = 10) -> None:
        self.engine, self.audit, self.threshold = engine, audit, small_cell_threshold

    def register(
        self, wh: Warehouse, *, title: str, description: str, publisher: str, actor: str
    ) -> Dataset:
        """Register the warehouse content as a dataset, with its dictionary."""
        profiles = column_profiles(wh)
        start, end = temporal_coverage(wh)
        population = wh.table_counts()["person"]
        dataset_id = uuid.uuid4().hex[:12]
        with self.engine.begin() as conn:
            conn.execute(
                dataset.insert().values(
                    id=dataset_id, title=title, description=description, publisher=publisher,
                    population=population, coverage_start=start, coverage_end=end,
                    registered_at=datetime.now(UTC).isoformat(timespec="seconds"),
                )
            )  # fmt: skip
            conn.execute(
                variable.insert(),
                [
                    {
                        "dataset_id": dataset_id, "table_name": p.table, "column_name": p.column,
                        "type": p.type, "completeness": p.completeness,
                        "distinct_values": p.distinct,
                    }
                    for p in profiles
                ],
            )  # fmt: skip
            self.audit.append(
                conn, actor=actor, role="data_steward", action="catalog.register",
                object=f"dataset {dataset_id}",
                details={"population": population, "variables": len(profiles)},
            )  # fmt: skip
        return self.get(dataset_id)

    def get(self, dataset_id: str) -> Dataset:
        with self.engine.connect() as conn:
            row = conn.execute(select(dataset).where(dataset.c.id == dataset_id)).first()
            if row is None:
                raise CatalogError(f"no dataset '{dataset_id}' in the catalogue")
            variables = tuple(
                Variable(v.table_name, v.column_name, v.type, v.completeness, v.distinct_values)
                for v in conn.execute(
                    select(variable)
                    .where(variable.c.dataset_id == dataset_id)
                    .order_by(variable.c.table_name, variable.c.column_name)
                )
            )
        population = row.population if row.population >= self.threshold else None
        return Dataset(
            row.id, row.title, row.description, row.publisher, population,
            row.coverage_start, row.coverage_end, variables,
        )  # fmt: skip

    def has_variable(self, dataset_id: str, table: str, column: str) -> bool:
        return any(v.table == table and v.column == column for v in self.get(dataset_id).variables)
