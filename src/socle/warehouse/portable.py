"""Governed SQL written once, in DuckDB's dialect, and rendered for every engine.

The checkpoint's scoped views (granted columns, period, population, consent
filter), the workspace's validated queries, the catalogue counts and the
quality checks are all written as DuckDB SQL over unqualified CDM table names.
:func:`for_engine` transpiles them with sqlglot for another engine (Spark SQL),
so the rule a view applies is stated in one place whatever runs it.

Person ids excluded by consent are a relation ``_excluded`` (and, for an
opt-in purpose, ``_included``) that the engine registers beside the tables.
"""

from __future__ import annotations

from functools import lru_cache

from socle.warehouse.errors import ScopeError
from socle.warehouse.schema import CDM, EVENT_DATE, VOCABULARY
from socle.warehouse.scope import GENDER_CONCEPT, GrantScope, PersonFilter

VOCABULARY_VIEWS = {f"vocab_{table}": table for table in VOCABULARY}
EXCLUDED, INCLUDED = "_excluded", "_included"


def population_condition(grant: GrantScope) -> str:
    """SQL condition on ``person`` selecting the grant's population ('' if unrestricted)."""
    population = grant.population
    if population is None:
        return ""
    problems = population.problems()
    if problems:
        raise ScopeError(f"grant {grant.grant_id} has an invalid population: {'; '.join(problems)}")
    if grant.starts is None:
        raise ScopeError(f"grant {grant.grant_id} restricts ages but gives no start date")
    earliest, latest = population.birth_years(grant.starts)
    where = []
    if earliest is not None:
        where.append(f"year_of_birth >= {int(earliest)}")
    if latest is not None:
        where.append(f"year_of_birth <= {int(latest)}")
    if population.sex is not None:
        where.append(f"gender_concept_id = {GENDER_CONCEPT[population.sex]}")
    return " AND ".join(where) or "TRUE"


def scoped_views(grant: GrantScope, persons: PersonFilter, *, schema: str = "") -> dict[str, str]:
    """``scoped_<table>`` → the SELECT defining it; tables read as ``<schema><table>``.

    Each view has ``person_id`` and the granted columns, rows of persons the
    consent filter lets through, in the grant's population and period.
    """
    population = population_condition(grant)
    views: dict[str, str] = {}
    for table, columns in grant.columns.items():
        if table not in CDM:
            raise ScopeError(f"grant {grant.grant_id} names unknown table '{table}'")
        unknown = set(columns) - set(CDM[table])
        if unknown:
            raise ScopeError(
                f"grant {grant.grant_id} names unknown columns {sorted(unknown)} of '{table}'"
            )
        cols = ", ".join(f'"{c}"' for c in dict.fromkeys(("person_id", *columns)))
        source = f"{schema}{table}"
        if persons.excluded_person_ids:
            # A plain hash anti-join: cheaper than NOT IN's null-aware mark join.
            source += f" ANTI JOIN {EXCLUDED} USING (person_id)"
        where = ["TRUE"]
        if persons.included_only is not None:
            where.append(f"person_id IN (SELECT person_id FROM {INCLUDED})")
        if population:
            # On every table, person columns granted or not: the restriction is on rows.
            where.append(f"person_id IN (SELECT person_id FROM {schema}person WHERE {population})")
        date_col = EVENT_DATE.get(table)
        if date_col and grant.period_start:
            where.append(f"{date_col} >= DATE '{grant.period_start.isoformat()}'")
        if date_col and grant.period_end:
            where.append(f"{date_col} <= DATE '{grant.period_end.isoformat()}'")
        views[f"scoped_{table}"] = f"SELECT {cols} FROM {source} WHERE {' AND '.join(where)}"
    for view, table in VOCABULARY_VIEWS.items():  # reference data, no patient in it
        views[view] = f"SELECT * FROM {schema}{table}"
    return views


@lru_cache(maxsize=512)
def for_engine(sql: str, dialect: str) -> str:
    """``sql`` (DuckDB dialect) as ``dialect`` writes it (``duckdb``: unchanged)."""
    if dialect == "duckdb":
        return sql
    import sqlglot
    from sqlglot.errors import ErrorLevel, SqlglotError

    try:
        statements = sqlglot.transpile(
            sql, read="duckdb", write=dialect, unsupported_level=ErrorLevel.RAISE
        )
    except SqlglotError as exc:
        raise ScopeError(f"the query cannot run on the {dialect} engine: {exc}") from exc
    if len(statements) != 1:
        raise ScopeError(f"one statement per query, this text holds {len(statements)}")
    return statements[0]
