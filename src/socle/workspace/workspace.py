"""The secure workspace: reads through the checkpoint; outputs leave only by the release desk.

Every read opens a scoped reader from an active grant (governance) and the
consent filter for the grant's purpose (consent); there is no other way to
reach warehouse rows from here. Nothing leaves without the release desk: an
output becomes an output request, checked automatically and by two output
checkers, and is written out only when they approve (:mod:`socle.release`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime

from socle.audit import AuditLog
from socle.consent import ConsentRegistry
from socle.errors import SocleError
from socle.governance import Governance
from socle.release import (
    CheckReport,
    Output,
    OutputRequest,
    Population,
    ReleaseDesk,
    counts_table,
    dp_count,
    dp_histogram,
)
from socle.warehouse import ScopedReader, Warehouse

DIMENSIONS = {
    "age_band": "CASE WHEN age < 18 THEN '0-17' WHEN age < 45 THEN '18-44' "
    "WHEN age < 65 THEN '45-64' ELSE '65+' END",
    "sex": "CASE gender_concept_id WHEN 8507 THEN 'M' WHEN 8532 THEN 'F' ELSE 'U' END",
}


class WorkspaceError(SocleError):
    """A workspace request cannot be run as asked."""

    exit_code = 2


class Workspace:
    def __init__(
        self,
        warehouse: Warehouse,
        governance: Governance,
        consent: ConsentRegistry,
        audit: AuditLog,
        desk: ReleaseDesk,
    ) -> None:
        self.warehouse, self.governance, self.consent = warehouse, governance, consent
        self.audit, self.desk = audit, desk

    @contextmanager
    def session(
        self, grant_id: str, output_type: str, *, actor: str, on: date | None = None
    ) -> Iterator[ScopedReader]:
        """The checkpoint: grant scope + consent filter, both as of today."""
        today = on or datetime.now(UTC).date()
        scope = self.governance.grant_scope(grant_id, today, output_type)
        persons = self.consent.person_filter(scope.purpose, today)
        self.audit.record(
            actor=actor, role="researcher", action="workspace.open", object=grant_id,
            purpose=scope.purpose,
            details={"output_type": output_type, "excluded_by_consent": len(persons.excluded_person_ids)},
        )  # fmt: skip
        with self.warehouse.scoped(scope, persons) as reader:
            yield reader

    def condition_counts(
        self,
        grant_id: str,
        condition: str,
        dims: Sequence[str] = ("age_band", "sex"),
        *,
        actor: str,
    ) -> OutputRequest:
        """Persons with a condition (``VOCAB|code``) by ``dims``, as a request to the release desk."""
        columns, rows = self._condition_rows(grant_id, condition, dims, actor=actor)
        table = self._counts_output(
            grant_id, columns, rows, ["persons"], self._describe(condition, dims)
        )
        return self._hand_over(grant_id, table, self._describe(condition, dims), actor=actor)

    def check_condition_counts(
        self,
        grant_id: str,
        condition: str,
        dims: Sequence[str] = ("age_band", "sex"),
        *,
        actor: str,
    ) -> CheckReport:
        """The check report the researcher sees before asking for release (nothing leaves)."""
        columns, rows = self._condition_rows(grant_id, condition, dims, actor=actor)
        table = self._counts_output(
            grant_id, columns, rows, ["persons"], self._describe(condition, dims)
        )
        return self.desk.check(table, project=self.governance.grant(grant_id).request_id)

    @staticmethod
    def _describe(condition: str, dims: Sequence[str]) -> str:
        return f"persons with {condition} by {' and '.join(dims)}"

    def dp_condition_count(
        self,
        grant_id: str,
        condition: str,
        epsilon: float,
        *,
        by: str | None = None,
        actor: str,
        confidence: float = 0.95,
    ) -> OutputRequest:
        """A differentially private count (overall, or by one dimension) spending the grant's ε."""
        dims = [by] if by else ["sex"]
        _, rows = self._condition_rows(grant_id, condition, dims, actor=actor)
        # One row per person: the DP mechanism sees persons, not pre-counted cells.
        persons = [str(r[0]) for r in rows for _ in range(int(r[1]))]  # type: ignore[call-overload]
        if by is None:
            result = dp_count(persons, epsilon, confidence=confidence)
        else:
            levels = {"sex": ["F", "M", "U"], "age_band": ["0-17", "18-44", "45-64", "65+"]}[by]
            result = dp_histogram(persons, levels, epsilon, confidence=confidence)
        grant = self.governance.grant(grant_id)
        description = f"DP count of persons with {condition}" + (f" by {by}" if by else "")
        request = self.desk.request_dp(
            grant_id, "dp_count", result, description=description, actor=actor,
            population=Population(f"grant {grant_id} ({grant.purpose}): persons with {condition}", len(persons)),
        )  # fmt: skip
        self.audit.record(
            actor=actor, role="researcher", action="workspace.release", object=request.id,
            purpose=grant.purpose,
            details={"grant": grant_id, "dp_epsilon": result.epsilon, "description": description},
        )  # fmt: skip
        return request

    def _condition_rows(
        self, grant_id: str, condition: str, dims: Sequence[str], *, actor: str
    ) -> tuple[list[str], list[tuple[object, ...]]]:
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
        rows = list(
            zip(*(result.column(i).to_pylist() for i in range(result.num_columns)), strict=True)
        )
        return result.column_names, rows

    def release(
        self,
        grant_id: str,
        columns: list[str],
        rows: list[tuple[object, ...]],
        count_columns: list[str],
        *,
        actor: str,
        description: str,
        population: str | None = None,
    ) -> OutputRequest:
        """Hand a count table to the release desk: the only exit from the workspace.

        ``columns`` are the table's dimensions and one count column; ``population``
        defines whom the counts are about (the ledger compares releases by it;
        default: the grant and the description).
        """
        table = self._counts_output(grant_id, columns, rows, count_columns, description, population)
        return self._hand_over(grant_id, table, description, actor=actor)

    def _counts_output(
        self,
        grant_id: str,
        columns: list[str],
        rows: list[tuple[object, ...]],
        count_columns: list[str],
        description: str,
        population: str | None = None,
    ) -> Output:
        if len(count_columns) != 1 or count_columns[0] not in columns:
            raise WorkspaceError("a count table has exactly one count column among its columns")
        count_at = columns.index(count_columns[0])
        dims = [c for i, c in enumerate(columns) if i != count_at]
        reordered = [(*(r[i] for i in range(len(r)) if i != count_at), r[count_at]) for r in rows]
        grid = counts_table(dims, reordered, measure=count_columns[0])
        grant = self.governance.grant(grant_id)
        definition = population or f"grant {grant_id} ({grant.purpose}): {description}"
        return Output(
            re.sub(r"[^\w.-]+", "_", description).strip("_")[:80] or "table", "frequency_table", grid,
            Population(definition, int(grid.count.sum())),
            {"grant": grant_id, "source": "workspace"},
        )  # fmt: skip

    def _hand_over(
        self, grant_id: str, output: Output, description: str, *, actor: str
    ) -> OutputRequest:
        grant = self.governance.grant(grant_id)
        handed = self.desk.request(grant_id, [output], description=description, actor=actor)
        self.audit.record(
            actor=actor, role="researcher", action="workspace.release", object=handed.id,
            purpose=grant.purpose,
            details={"grant": grant_id, "description": description,
                     "status": handed.items[0].status},
        )  # fmt: skip
        return handed
