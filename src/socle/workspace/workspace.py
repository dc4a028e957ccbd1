"""The secure workspace: reads through the checkpoint, releases only checked outputs.

Every read opens a scoped reader from an active grant (governance) and the
consent filter for the grant's purpose (consent); there is no other way to
reach warehouse rows from here. Nothing leaves without output checking.
"""

from __future__ import annotations

import csv
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from itertools import product
from pathlib import Path

import orjson

from socle.audit import AuditLog
from socle.consent import ConsentRegistry
from socle.errors import SocleError
from socle.governance import Governance
from socle.privacy import CheckedTable, check_aggregate
from socle.warehouse import GrantScope, ScopedReader, Warehouse, population_includes

DIMENSIONS = {
    "age_band": "CASE WHEN age < 18 THEN '0-17' WHEN age < 45 THEN '18-44' "
    "WHEN age < 65 THEN '45-64' ELSE '65+' END",
    "sex": "CASE gender_concept_id WHEN 8507 THEN 'M' WHEN 8532 THEN 'F' ELSE 'U' END",
}
# Every value each dimension can take: a release shows the whole grid, zeros included, so an
# absent group never tells a zero apart from a suppressed small count.
LEVELS: dict[str, tuple[str, ...]] = {
    "age_band": ("0-17", "18-44", "45-64", "65+"),
    "sex": ("F", "M", "U"),
}


class WorkspaceError(SocleError):
    """A workspace request cannot be run as asked."""

    exit_code = 2


@dataclass(frozen=True)
class Release:
    """An output that passed checking and was written out of the workspace."""

    id: str
    grant_id: str
    table: CheckedTable
    csv_path: Path
    json_path: Path


class Workspace:
    def __init__(
        self,
        warehouse: Warehouse,
        governance: Governance,
        consent: ConsentRegistry,
        audit: AuditLog,
        releases_dir: Path,
        *,
        threshold: int = 10,
        rounding_base: int = 5,
    ) -> None:
        self.warehouse, self.governance, self.consent = warehouse, governance, consent
        self.audit, self.releases_dir = audit, releases_dir
        self.threshold, self.rounding_base = threshold, rounding_base

    @contextmanager
    def session(
        self, grant_id: str, output_type: str, *, actor: str, on: date | None = None
    ) -> Iterator[ScopedReader]:
        """The checkpoint: grant scope + consent filter, both as of today.

        The consent filter covers every purpose the use needs (the grant's, and
        those the taxonomy adds for ``output_type``, e.g. AI training for a model).
        """
        today = on or datetime.now(UTC).date()
        scope = self.governance.grant_scope(grant_id, today, output_type)
        persons = self.consent.person_filter(scope.purpose, today, output_type)
        self.audit.record(
            actor=actor, role="researcher", action="workspace.open", object=grant_id,
            purpose=scope.purpose,
            details={"output_type": output_type, "excluded_by_consent": len(persons.excluded_person_ids)},
        )  # fmt: skip
        with self.warehouse.scoped(scope, persons) as reader:
            yield reader

    def population_includes(self, grant_id: str, person_id: int) -> bool:
        """Whether a grant's population restriction covers a person, whatever the grant's state
        today (expired and revoked grants included): what patient transparency needs."""
        grant = self.governance.grant(grant_id)
        scope = GrantScope(
            grant.id, grant.purpose, {}, population=grant.population, starts=grant.starts
        )
        return population_includes(self.warehouse, scope, person_id)

    def condition_counts(
        self,
        grant_id: str,
        condition: str,
        dims: Sequence[str] = ("age_band", "sex"),
        *,
        actor: str,
    ) -> Release:
        """Persons with a condition (``VOCAB|code``) by ``dims`` (age_band, sex), checked for release."""
        unknown = [d for d in dims if d not in DIMENSIONS]
        if unknown or not dims:
            raise WorkspaceError(f"count by {', '.join(DIMENSIONS)}; not by {', '.join(unknown)}")
        select_dims = ", ".join(f"{DIMENSIONS[d]} AS {d}" for d in dims)
        with self.session(grant_id, "aggregates", actor=actor) as ws:
            ws.require("person", ["year_of_birth", "gender_concept_id"])
            ws.require("condition_occurrence", ["condition_source_value"])
            result = ws.query(
                f"""
                SELECT {select_dims}, count(*) AS persons
                FROM (
                    SELECT p.person_id, p.gender_concept_id, year(current_date) - p.year_of_birth AS age
                    FROM scoped_person p
                    WHERE p.person_id IN (
                        SELECT person_id FROM scoped_condition_occurrence
                        WHERE condition_source_value = ?)
                ) GROUP BY ALL ORDER BY ALL
                """,
                [condition],
            )
        found = {
            tuple(row[:-1]): row[-1]
            for row in zip(
                *(result.column(i).to_pylist() for i in range(result.num_columns)), strict=True
            )
        }
        rows = [(*cell, found.get(cell, 0)) for cell in product(*(LEVELS[d] for d in dims))]
        return self.release(
            grant_id, result.column_names, rows, ["persons"], actor=actor,
            description=f"persons with {condition} by {' and '.join(dims)}",
        )  # fmt: skip

    def release(
        self,
        grant_id: str,
        columns: list[str],
        rows: list[tuple[object, ...]],
        count_columns: list[str],
        *,
        actor: str,
        description: str,
    ) -> Release:
        """Check an aggregate table and write it out; the only exit from the workspace."""
        checked = check_aggregate(columns, rows, count_columns, self.threshold, self.rounding_base)
        release_id = "rel-" + uuid.uuid4().hex[:10]
        self.releases_dir.mkdir(parents=True, exist_ok=True)
        csv_path = self.releases_dir / f"{release_id}.csv"
        with csv_path.open("w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(checked.columns)
            writer.writerows(
                ["suppressed" if c is None else c for c in row] for row in checked.rows
            )
        json_path = self.releases_dir / f"{release_id}.json"
        json_path.write_bytes(
            orjson.dumps(
                {
                    "release": release_id, "grant": grant_id, "description": description,
                    "columns": checked.columns, "rows": checked.rows,
                    "rules": {
                        "small_counts_suppressed_below": checked.threshold,
                        "rounded_to_multiple_of": checked.rounding_base,
                    },
                    "suppressed_cells": checked.suppressed_cells,
                    # The audit head when the release was made: one more anchor outside the store.
                    "audit_head": self.audit.signed_head(),
                },
                option=orjson.OPT_INDENT_2,
            )
        )  # fmt: skip
        grant = self.governance.grant(grant_id)
        self.audit.record(
            actor=actor, role="researcher", action="workspace.release", object=release_id,
            purpose=grant.purpose,
            details={
                "grant": grant_id, "cells": len(rows) * len(count_columns),
                "suppressed": checked.suppressed_cells, "description": description,
            },
        )  # fmt: skip
        return Release(release_id, grant_id, checked, csv_path, json_path)
