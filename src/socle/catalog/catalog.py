"""The catalogue: datasets with standard metadata and a variable dictionary.

Metadata follows the HealthDCAT-AP vocabulary (title, description, publisher,
contact, theme, temporal and population coverage, legal basis, access rights,
update frequency); the dictionary is derived from the warehouse profile. The
metadata is steward-level. Every count a reader sees passes the release
rules (small counts suppressed, others rounded); counts *for a purpose*
(:meth:`Catalog.counts`, :meth:`Catalog.for_purpose`) are read through the
consent filter and the warehouse's checked read path.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Column, Date, Engine, Float, Integer, MetaData, String, Table, Text, select

from socle.audit import AuditLog
from socle.catalog.dictionary import describe
from socle.consent import ConsentRegistry
from socle.errors import SocleError
from socle.figures import Figures
from socle.privacy import disclose_count
from socle.roles import Role
from socle.store import Json, Timestamp
from socle.warehouse import (
    CDM,
    GrantScope,
    Warehouse,
    column_profiles,
    sex_label,
    temporal_coverage,
)

ACCESS_RIGHTS = ("public", "restricted", "non-public")  # EU access-right vocabulary
FREQUENCIES = ("continuous", "daily", "weekly", "monthly", "quarterly", "annual", "irregular")

TABLES = MetaData()  # this context's tables; socle.node composes the store

dataset = Table(
    "catalog_dataset",
    TABLES,
    Column("id", String(40), primary_key=True),
    Column("title", String(300), nullable=False),
    Column("description", Text, nullable=False),
    Column("publisher", String(200), nullable=False),
    Column("population", Integer, nullable=False),
    Column("coverage_start", Date),
    Column("coverage_end", Date),
    Column("registered_at", Timestamp("seconds"), nullable=False),
    Column("contact", String(200), nullable=False, default=""),
    Column("themes", Json, nullable=False, default=list),
    Column("keywords", Json, nullable=False, default=list),
    Column("legal_basis", Text, nullable=False, default=""),
    Column("access_rights", String(20), nullable=False, default="restricted"),
    Column("update_frequency", String(20), nullable=False, default="irregular"),
    Column("population_coverage", Text, nullable=False, default=""),
    Column("quality", Json),
    Column("quality_at", Timestamp("seconds")),
)

variable = Table(
    "catalog_variable",
    TABLES,
    Column("dataset_id", String(40), primary_key=True),
    Column("table_name", String(80), primary_key=True),
    Column("column_name", String(80), primary_key=True),
    Column("type", String(40), nullable=False),
    Column("completeness", Float, nullable=False),
    Column("distinct_values", Integer),
    Column("description", Text, nullable=False, default=""),
)


class CatalogError(SocleError):
    """Base of catalogue errors."""

    exit_code = 2


@dataclass(frozen=True)
class Variable:
    table: str
    column: str
    type: str
    completeness: float | None  # None on a table with fewer rows than the threshold
    distinct_values: int | None  # disclosed like a release cell: None below the threshold
    description: str = ""


@dataclass(frozen=True)
class Dataset:
    id: str
    title: str
    description: str
    publisher: str
    population: int | None  # disclosed like a release cell: None below the threshold, rounded
    coverage_start: date | None
    coverage_end: date | None
    variables: tuple[Variable, ...]
    contact: str = ""
    themes: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    legal_basis: str = ""
    access_rights: str = "restricted"
    update_frequency: str = "irregular"
    population_coverage: str = ""
    quality: dict[str, Any] | None = None
    quality_at: str | None = None
    registered_at: str = ""
    # The node's published release policy: the rules every output of this dataset leaves under.
    release_policy: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Counts:
    """Persons per table for one purpose, consent applied; ``None`` marks a hidden small cell."""

    dataset_id: str
    purpose: str
    as_of: date
    threshold: int
    persons: int | None
    by_table: dict[str, int | None] = field(default_factory=dict)
    by_sex: dict[str, int | None] = field(default_factory=dict)

    @property
    def suppressed(self) -> int:
        cells = [self.persons, *self.by_table.values(), *self.by_sex.values()]
        return sum(c is None for c in cells)


class Catalog:
    def __init__(
        self,
        engine: Engine,
        audit: AuditLog,
        small_cell_threshold: int = 10,
        rounding_base: int = 5,
        release_policy: Mapping[str, Any] | None = None,
    ) -> None:
        self.engine, self.audit = engine, audit
        self.threshold, self.rounding_base = small_cell_threshold, rounding_base
        self.release_policy: dict[str, Any] = dict(
            release_policy or {"safe_threshold": small_cell_threshold,
                               "safe_round_base": rounding_base}
        )  # fmt: skip
        self.figures = Figures()  # counts for a purpose, reused while their inputs stay

    def register(
        self,
        wh: Warehouse,
        *,
        title: str,
        description: str,
        publisher: str,
        actor: str,
        contact: str = "",
        themes: Sequence[str] = ("HEAL",),
        keywords: Sequence[str] = (),
        legal_basis: str = "",
        access_rights: str = "restricted",
        update_frequency: str = "irregular",
        population_coverage: str = "",
    ) -> Dataset:
        """Register the warehouse content as a dataset, with its dictionary."""
        _require(title=title, description=description, publisher=publisher)
        if access_rights not in ACCESS_RIGHTS:
            raise CatalogError(
                f"access rights '{access_rights}' unknown; use {', '.join(ACCESS_RIGHTS)}"
            )
        if update_frequency not in FREQUENCIES:
            raise CatalogError(
                f"update frequency '{update_frequency}' unknown; use {', '.join(FREQUENCIES)}"
            )
        profiles = column_profiles(wh)
        start, end = temporal_coverage(wh)
        population = wh.table_counts()["person"]
        dataset_id = uuid.uuid4().hex[:12]
        with self.engine.begin() as conn:
            conn.execute(
                dataset.insert().values(
                    id=dataset_id, title=title, description=description, publisher=publisher,
                    population=population, coverage_start=start, coverage_end=end,
                    registered_at=datetime.now(UTC),
                    contact=contact, themes=_stripped(themes), keywords=_stripped(keywords),
                    legal_basis=legal_basis, access_rights=access_rights,
                    update_frequency=update_frequency, population_coverage=population_coverage,
                )
            )  # fmt: skip
            conn.execute(
                variable.insert(),
                [
                    {
                        "dataset_id": dataset_id, "table_name": p.table, "column_name": p.column,
                        "type": p.type, "completeness": p.completeness,
                        "distinct_values": p.distinct, "description": describe(p.table, p.column),
                    }
                    for p in profiles
                ],
            )  # fmt: skip
            self.audit.append(
                conn, actor=actor, role=Role.DATA_STEWARD, action="catalog.register",
                object=f"dataset {dataset_id}",
                details={"population": population, "variables": len(profiles)},
            )  # fmt: skip
        return self.get(dataset_id)

    def attach_quality(self, dataset_id: str, summary: dict[str, Any], *, actor: str) -> Dataset:
        """Publish the latest data-quality summary (counts only) with the dataset."""
        self.get(dataset_id)
        with self.engine.begin() as conn:
            conn.execute(
                dataset.update()
                .where(dataset.c.id == dataset_id)
                .values(quality=summary, quality_at=datetime.now(UTC))
            )
            self.audit.append(
                conn, actor=actor, role=Role.DATA_STEWARD, action="catalog.quality",
                object=f"dataset {dataset_id}", details={"measures": len(summary)},
            )  # fmt: skip
        return self.get(dataset_id)

    def get(self, dataset_id: str) -> Dataset:
        with self.engine.connect() as conn:
            row = conn.execute(select(dataset).where(dataset.c.id == dataset_id)).first()
            if row is None:
                raise CatalogError(f"no dataset '{dataset_id}' in the catalogue")
            variables = tuple(
                Variable(
                    v.table_name, v.column_name, v.type, v.completeness,
                    self._hide(v.distinct_values), v.description,
                )
                for v in conn.execute(
                    select(variable)
                    .where(variable.c.dataset_id == dataset_id)
                    .order_by(variable.c.table_name, variable.c.column_name)
                )
            )  # fmt: skip
        return self._dataset(row, variables)

    def datasets(self) -> list[Dataset]:
        with self.engine.connect() as conn:
            ids = conn.execute(select(dataset.c.id).order_by(dataset.c.registered_at)).scalars()
            return [self.get(i) for i in list(ids)]

    def has_variable(self, dataset_id: str, table: str, column: str) -> bool:
        return any(v.table == table and v.column == column for v in self.get(dataset_id).variables)

    def search(
        self,
        keyword: str | None = None,
        theme: str | None = None,
        variable: str | None = None,
    ) -> list[Dataset]:
        """Datasets matching every criterion given (case-insensitive).

        ``keyword`` is looked for in title, description and keywords; ``theme``
        must be one of the dataset's themes; ``variable`` is ``table.column``,
        a column name, or a word of a variable's description.
        """
        found = []
        for ds in self.datasets():
            if keyword and not _contains(keyword, [ds.title, ds.description, *ds.keywords]):
                continue
            if theme and theme.lower() not in {t.lower() for t in ds.themes}:
                continue
            if variable and not any(_variable_matches(variable, v) for v in ds.variables):
                continue
            found.append(ds)
        return found

    def counts(
        self,
        dataset_id: str,
        *,
        warehouse: Warehouse,
        consent: ConsentRegistry,
        purpose: str,
        actor: str,
        on: date | None = None,
    ) -> Counts:
        """Persons per table for ``purpose``: consent filter applied, small cells hidden.

        Reads only ``person_id`` (and sex) through :meth:`Warehouse.scoped`, like
        any purposeful read; only counts leave this method.
        """
        self.get(dataset_id)
        today = on or datetime.now(UTC).date()
        persons = consent.person_filter(purpose, today)
        columns: dict[str, tuple[str, ...]] = {
            t: () for t, cols in CDM.items() if "person_id" in cols
        }
        columns["person"] = ("gender_concept_id",)
        scope = GrantScope(f"catalogue:{dataset_id}", purpose, columns)
        with warehouse.scoped(scope, persons) as reader:
            counts = reader.query(
                "SELECT "
                + ", ".join(
                    f"(SELECT count(DISTINCT person_id) FROM scoped_{t}) AS {t}" for t in columns
                )
            ).to_pylist()[0]
            sexes = reader.query(
                f"SELECT {sex_label()} AS sex, count(*) AS n FROM scoped_person "
                "GROUP BY ALL ORDER BY ALL"
            ).to_pylist()
        result = Counts(
            dataset_id, purpose, today, self.threshold, self._hide(counts.pop("person")),
            {t: self._hide(n) for t, n in counts.items()},
            {r["sex"]: self._hide(r["n"]) for r in sexes},
        )  # fmt: skip
        self.audit.record(
            actor=actor, role=Role.DATA_STEWARD, action="catalog.counts",
            object=f"dataset {dataset_id}", purpose=purpose,
            details={
                "excluded_by_consent": len(persons.excluded_person_ids),
                "cells": len(result.by_table) + len(result.by_sex) + 1,
                "suppressed": result.suppressed,
            },
        )  # fmt: skip
        return result

    def for_purpose(
        self,
        dataset_id: str,
        *,
        warehouse: Warehouse,
        consent: ConsentRegistry,
        purpose: str,
        actor: str,
        role: str = Role.RESEARCHER,
        on: date | None = None,
    ) -> Dataset:
        """The dataset as a researcher sees it for ``purpose``.

        Population, completeness and distinct values are computed on the persons
        whose choices allow the purpose, through :meth:`Warehouse.scoped`, and
        every count is disclosed like a release cell (completeness is withheld
        on a table with fewer consenting rows than the threshold).

        The figures are computed once per warehouse generation, day, consent
        registry version and dataset registration (:mod:`socle.figures`): they
        are the same for every reader, and concurrent readers wait for one
        computation. Its audit event (``catalog.dictionary``) is written when the
        figures are computed from the rows, not for every view of them.
        """
        today = on or datetime.now(UTC).date()
        with self.engine.connect() as conn:  # the dataset's versions, not its 100s of variables
            stamp = conn.execute(
                select(dataset.c.registered_at, dataset.c.quality_at).where(
                    dataset.c.id == dataset_id
                )
            ).first()
        if stamp is None:
            raise CatalogError(f"no dataset '{dataset_id}' in the catalogue")
        # Every input is read before the rows: a later load or choice is a new key.
        key = (dataset_id, purpose, today, warehouse.generation, consent.version(), *stamp)
        return self.figures.get(
            key,
            lambda: self._count_for_purpose(
                self.get(dataset_id), warehouse, consent, purpose, actor, role, today
            ),
        )

    def _count_for_purpose(
        self,
        ds: Dataset,
        warehouse: Warehouse,
        consent: ConsentRegistry,
        purpose: str,
        actor: str,
        role: str,
        today: date,
    ) -> Dataset:
        persons = consent.person_filter(purpose, today)
        # Patient rows only (tables keyed by person): reference tables (provider, care site,
        # location, cdm_source...) keep the figures stored, already disclosed, at registration.
        person_tables = {t: tuple(c) for t, c in CDM.items() if "person_id" in c}
        scope = GrantScope(f"catalogue:{ds.id}", purpose, person_tables)
        found: dict[tuple[str, str], tuple[float | None, int | None]] = {}
        with warehouse.scoped(scope, persons) as reader:
            for table, columns in person_tables.items():
                exprs = ", ".join(
                    f"count({c}) AS n{i}, count(DISTINCT {c}) AS d{i}"
                    for i, c in enumerate(columns)
                )
                row = reader.query(
                    f"SELECT count(*) AS n, {exprs} FROM scoped_{table}"
                ).to_pylist()[0]
                for i, column in enumerate(columns):
                    complete = row[f"n{i}"] / row["n"] if row["n"] >= self.threshold else None
                    found[(table, column)] = (
                        None if complete is None else round(complete, 2),
                        self._hide(row[f"d{i}"]),
                    )
        population = self._hide(found[("person", "person_id")][1] or 0)
        variables = tuple(
            replace(v, completeness=found[(v.table, v.column)][0],
                    distinct_values=found[(v.table, v.column)][1])
            if (v.table, v.column) in found else v
            for v in ds.variables
        )  # fmt: skip
        self.audit.record(
            actor=actor, role=role, action="catalog.dictionary", object=f"dataset {ds.id}",
            purpose=purpose,
            details={"variables": len(variables),
                     "suppressed": sum(v.distinct_values is None for v in variables)},
        )  # fmt: skip
        return replace(ds, population=population, variables=variables)

    def _hide(self, n: int | None) -> int | None:
        """A count as it may leave: suppressed below the threshold, rounded otherwise."""
        return disclose_count(n, self.threshold, self.rounding_base)

    def _dataset(self, row: Any, variables: tuple[Variable, ...]) -> Dataset:
        population = self._hide(row.population)
        return Dataset(
            row.id, row.title, row.description, row.publisher, population,
            row.coverage_start, row.coverage_end, variables, row.contact,
            tuple(row.themes), tuple(row.keywords), row.legal_basis,
            row.access_rights, row.update_frequency, row.population_coverage,
            row.quality, row.quality_at, row.registered_at,
            dict(self.release_policy),
        )  # fmt: skip


def _require(**values: str) -> None:
    missing = [name for name, value in values.items() if not value.strip()]
    if missing:
        raise CatalogError(f"a dataset needs a {', '.join(missing)}")


def _stripped(values: Iterable[str]) -> list[str]:
    return [v.strip() for v in values if v.strip()]


def _contains(needle: str, haystack: Iterable[str]) -> bool:
    n = needle.lower()
    return any(n in h.lower() for h in haystack)


def _variable_matches(query: str, v: Variable) -> bool:
    q = query.lower()
    if "." in q:
        return q == f"{v.table}.{v.column}"
    return q == v.column or q in v.description.lower()
