"""The disclosure ledger: every released cell, and every ε spent, of every project.

Cells are recorded when a table is released (population definition, its
dimensions and labels, the true and the released value); the differencing
check reads them back as :class:`LedgerTable`. True values stay inside the
desk: no route or command prints them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
from sqlalchemy import Connection, Select, func, select

from socle.release.differencing import LedgerTable
from socle.release.outputs import Population
from socle.release.suppression import Suppressed
from socle.release.tables import dp_spend, ledger_cell
from socle.store import Page, fetch_page


@dataclass(frozen=True)
class LedgerEntry:
    """One released cell as auditors and checkers see it (no true value)."""

    release_id: str
    population: str
    dims: tuple[str, ...]
    labels: tuple[str, ...]
    released_value: float | None


@dataclass(frozen=True)
class Budget:
    grant_id: str
    epsilon: float
    delta: float
    spent_epsilon: float
    spent_delta: float

    @property
    def remaining_epsilon(self) -> float:
        return max(self.epsilon - self.spent_epsilon, 0.0)


def _now() -> datetime:
    return datetime.now(UTC)


def table_cells(table: Suppressed, measure: str) -> dict[str, Any]:
    """The JSON the desk keeps with a requested table, for the ledger and differencing."""
    cells = []
    for index in np.ndindex(table.values.shape):
        labels = [table.levels[a][k] for a, k in enumerate(index)]
        cells.append([labels, float(table.values[index]), table.released[index]])
    return {"dims": list(table.dims), "measure": measure, "cells": cells}


def as_ledger_table(release_id: str, population: Population, data: dict[str, Any]) -> LedgerTable:
    return LedgerTable(
        release_id, population.key, population.definition, population.persons,
        tuple(data["dims"]), data["measure"],
        {tuple(labels): (true, shown) for labels, true, shown in data["cells"]},
    )  # fmt: skip


def record(conn: Connection, project: str, table: LedgerTable) -> int:
    rows = [
        {
            "release_id": table.release_id, "project": project,
            "population_key": table.population_key, "population": table.population,
            "persons": table.persons, "dims": list(table.dims),
            "measure": table.measure, "labels": list(labels),
            "true_value": true, "released_value": shown, "recorded_at": _now(),
        }
        for labels, (true, shown) in table.cells.items()
    ]  # fmt: skip
    if rows:
        conn.execute(ledger_cell.insert(), rows)
    return len(rows)


def earlier_tables(conn: Connection, project: str | None) -> list[LedgerTable]:
    """Released tables of a project (``None``: of every project on the node)."""
    query = select(ledger_cell).order_by(ledger_cell.c.id)
    if project is not None:
        query = query.where(ledger_cell.c.project == project)
    grouped: dict[str, list[Any]] = defaultdict(list)
    for row in conn.execute(query):
        grouped[row.release_id].append(row)
    tables = []
    for release_id, rows in grouped.items():
        first = rows[0]
        tables.append(
            LedgerTable(
                release_id, first.population_key, first.population, first.persons,
                tuple(first.dims), first.measure,
                {tuple(r.labels): (r.true_value, r.released_value) for r in rows},
            )
        )  # fmt: skip
    return tables


def entries(conn: Connection, project: str) -> list[LedgerEntry]:
    return [_entry(r) for r in conn.execute(_cells(project))]


def entries_page(conn: Connection, project: str, limit: int, offset: int) -> Page[LedgerEntry]:
    """One page of a project's released cells, in release order, and how many in all."""
    return fetch_page(conn, _cells(project), limit, offset, _entry)


def _cells(project: str) -> Select[Any]:
    return select(ledger_cell).where(ledger_cell.c.project == project).order_by(ledger_cell.c.id)


def _entry(r: Any) -> LedgerEntry:
    return LedgerEntry(
        r.release_id, r.population, tuple(r.dims), tuple(r.labels),
        r.released_value,
    )  # fmt: skip


def spent(conn: Connection, grant_id: str) -> tuple[float, float]:
    eps, delta = conn.execute(
        select(func.coalesce(func.sum(dp_spend.c.epsilon), 0.0),
               func.coalesce(func.sum(dp_spend.c.delta), 0.0))
        .where(dp_spend.c.grant_id == grant_id)
    ).one()  # fmt: skip
    return float(eps), float(delta)


def spend(
    conn: Connection, grant_id: str, request_id: str, kind: str, epsilon: float, delta: float
) -> None:
    conn.execute(
        dp_spend.insert().values(
            grant_id=grant_id, request_id=request_id, kind=kind, epsilon=epsilon, delta=delta,
            at=_now(),
        )
    )  # fmt: skip


def spends(conn: Connection, grant_id: str) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(dp_spend).where(dp_spend.c.grant_id == grant_id).order_by(dp_spend.c.id)
    )
    return [
        {
            "request": r.request_id,
            "kind": r.kind,
            "epsilon": r.epsilon,
            "delta": r.delta,
            "at": r.at,
        }
        for r in rows
    ]
