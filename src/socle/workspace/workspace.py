"""The secure workspace: reads through the checkpoint; outputs leave only by the release desk.

Every read opens a scoped reader from an active grant (governance), as a team
member whose role the grant allows, and the consent filter for every purpose
the use needs (consent); there is no other way to reach warehouse rows from
here. Nothing leaves without the release desk: a table (condition counts, a
query result, a job's output file, a DP count) becomes an output request,
checked automatically and by two output checkers, and is written out only when
they approve (:mod:`socle.release`).
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from itertools import product
from pathlib import Path

from socle.audit import AuditLog
from socle.consent import ConsentRegistry
from socle.governance import Governance
from socle.release import (
    CheckReport,
    DPResult,
    Output,
    OutputRequest,
    Population,
    ReleaseDesk,
    counts_table,
    dp_count,
    dp_histogram,
)
from socle.warehouse import GrantScope, ScopedReader, Warehouse, population_includes, sex_label
from socle.workspace.errors import WorkspaceError
from socle.workspace.jobs import Jobs
from socle.workspace.queries import Queries
from socle.workspace.records import sha256_file
from socle.workspace.sandbox import Limits

# A condition to count: a source code (``SNOMED|38341003``) or a standard concept id (with
# its descendants).
Condition = str | int
DIMENSIONS = {
    "age_band": "CASE WHEN age < 18 THEN '0-17' WHEN age < 45 THEN '18-44' "
    "WHEN age < 65 THEN '45-64' ELSE '65+' END",
    "sex": sex_label(),
}
EXTRACT = "anonymised_dataset"  # the grant's output type for person-level extracts that leave
# Every value each dimension can take: a release shows the whole grid, zeros included, so an
# absent group never tells a zero apart from a suppressed small count.
LEVELS: dict[str, tuple[str, ...]] = {
    "age_band": ("0-17", "18-44", "45-64", "65+"),
    "sex": ("F", "M", "U"),
}


class Workspace:
    def __init__(
        self,
        warehouse: Warehouse,
        governance: Governance,
        consent: ConsentRegistry,
        audit: AuditLog,
        desk: ReleaseDesk,
        *,
        threshold: int = 10,
        rounding_base: int = 5,
        query_timeout: float = 60.0,
        workdir: Path | None = None,
        job_limits: Limits | None = None,
    ) -> None:
        self.warehouse, self.governance, self.consent = warehouse, governance, consent
        self.audit, self.desk = audit, desk
        # Rules for the counts the researcher sees inside the workspace (a result's rows).
        self.threshold, self.rounding_base = threshold, rounding_base
        self.query_timeout = query_timeout
        self.workdir = workdir or desk.releases_dir.parent / "workspace"
        self.queries = Queries(self)
        self.jobs = Jobs(self, job_limits)

    def grant_dir(self, grant_id: str) -> Path:
        """The grant's folder in the workspace (results and jobs); rows stay here."""
        if not grant_id.replace("-", "").isalnum():
            raise WorkspaceError(f"'{grant_id[:40]}' is not a grant id")
        return self.workdir / grant_id

    @contextmanager
    def session(
        self, grant_id: str, output_type: str, *, actor: str, on: date | None = None
    ) -> Iterator[ScopedReader]:
        """The checkpoint: a team member whose role the grant allows, grant scope + consent
        filter as of today; the reader can name only the grant's views.

        The consent filter covers every purpose the use needs (the grant's, and
        those the taxonomy adds for ``output_type``, e.g. AI training for a model).
        """
        today = on or datetime.now(UTC).date()
        scope = self.governance.grant_scope(grant_id, today, output_type)
        member = self.governance.team_member(grant_id, actor, output_type)
        persons = self.consent.person_filter(scope.purpose, today, output_type)
        self.audit.record(
            actor=actor, role=member.role, action="workspace.open", object=grant_id,
            purpose=scope.purpose,
            details={"output_type": output_type, "excluded_by_consent": len(persons.excluded_person_ids)},
        )  # fmt: skip
        with self.warehouse.scoped(scope, persons, timeout=self.query_timeout) as reader:
            yield reader

    def role_of(self, grant_id: str, actor: str, output_type: str = "aggregates") -> str:
        """``actor``'s team role on the grant's project (refused if off the team)."""
        return self.governance.team_member(grant_id, actor, output_type).role

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
        condition: Condition,
        dims: Sequence[str] = ("age_band", "sex"),
        *,
        actor: str,
    ) -> OutputRequest:
        """Persons with a condition (``VOCAB|code``) by ``dims`` (age_band, sex), the whole grid
        with zeros, as a request to the release desk."""
        columns, rows = self._condition_rows(grant_id, condition, dims, actor=actor)
        return self.release(
            grant_id, columns, rows, ["persons"], actor=actor,
            description=self._describe(condition, dims),
        )  # fmt: skip

    def check_condition_counts(
        self,
        grant_id: str,
        condition: Condition,
        dims: Sequence[str] = ("age_band", "sex"),
        *,
        actor: str,
    ) -> CheckReport:
        """The check report the researcher sees before asking for release (nothing leaves)."""
        table = self._condition_table(grant_id, condition, dims, actor=actor)
        return self.desk.check(table, project=self.governance.grant(grant_id).request_id)

    def answer_condition_counts(
        self,
        grant_id: str,
        condition: Condition,
        dims: Sequence[str] = ("age_band", "sex"),
        *,
        actor: str,
        channel: str,
        reference: str,
    ) -> CheckReport:
        """Condition counts for an automatic exit (a federated answer): released only if every
        automatic check passes, differencing against the ledger included; then in the ledger."""
        table = self._condition_table(grant_id, condition, dims, actor=actor)
        return self.desk.release_automatic(
            grant_id, table, channel=channel, reference=reference, actor=actor,
            role=self.role_of(grant_id, actor),
        )  # fmt: skip

    def secure_condition_counts(
        self, grant_id: str, condition: Condition, dims: Sequence[str] = ("age_band", "sex"), *,
        actor: str,
    ) -> tuple[list[str], list[tuple[object, ...]]]:  # fmt: skip
        """Exact condition counts (the whole grid) for secure aggregation only: the caller hands
        them to Flower's SecAgg+ mask, so they leave the node summed with other nodes' counts,
        and the sum goes through the receiving hub's release checks (``socle.federation``)."""
        return self._condition_rows(grant_id, condition, dims, actor=actor)

    def answer_dp_condition_count(
        self,
        grant_id: str,
        condition: Condition,
        epsilon: float,
        *,
        by: str | None = None,
        actor: str,
        channel: str,
        reference: str,
        confidence: float = 0.95,
    ) -> DPResult:
        """A differentially private count (overall, or by one dimension) for an automatic exit
        (a federated answer), its ε charged to the grant's budget."""
        _, result = self._dp_condition_count(grant_id, condition, epsilon, by, actor, confidence)
        return self.desk.release_automatic_dp(
            grant_id, "dp_count", result, channel=channel, reference=reference, actor=actor,
            role=self.role_of(grant_id, actor),
        )  # fmt: skip

    def _condition_table(
        self, grant_id: str, condition: Condition, dims: Sequence[str], *, actor: str
    ) -> Output:
        """The condition counts as the output table the desk checks (nothing released yet)."""
        columns, rows = self._condition_rows(grant_id, condition, dims, actor=actor)
        return self._counts_output(
            grant_id, columns, rows, ["persons"], self._describe(condition, dims)
        )

    @staticmethod
    def _describe(condition: Condition, dims: Sequence[str]) -> str:
        what = f"concept {condition} or a descendant" if isinstance(condition, int) else condition
        return f"persons with {what} by {' and '.join(dims)}"

    def dp_condition_count(
        self,
        grant_id: str,
        condition: Condition,
        epsilon: float,
        *,
        by: str | None = None,
        actor: str,
        confidence: float = 0.95,
    ) -> OutputRequest:
        """A differentially private count (overall, or by one dimension) spending the grant's ε."""
        persons, result = self._dp_condition_count(
            grant_id, condition, epsilon, by, actor, confidence
        )
        grant = self.governance.grant(grant_id)
        role = self.role_of(grant_id, actor)
        description = f"DP count of persons with {condition}" + (f" by {by}" if by else "")
        request = self.desk.request_dp(
            grant_id, "dp_count", result, description=description, actor=actor,
            population=Population(f"grant {grant_id} ({grant.purpose}): persons with {condition}", len(persons)),
        )  # fmt: skip
        self.audit.record(
            actor=actor, role=role, action="workspace.release", object=request.id,
            purpose=grant.purpose,
            details={"grant": grant_id, "dp_epsilon": result.epsilon, "description": description},
        )  # fmt: skip
        return request

    def _dp_condition_count(
        self, grant_id: str, condition: Condition, epsilon: float, by: str | None, actor: str,
        confidence: float,
    ) -> tuple[list[str], DPResult]:  # fmt: skip
        """The persons with ``condition`` (one entry each) and their DP count or histogram."""
        _, rows = self._condition_rows(grant_id, condition, [by] if by else ["sex"], actor=actor)
        # One row per person: the DP mechanism sees persons, not pre-counted cells.
        persons = [str(r[0]) for r in rows for _ in range(int(r[1]))]  # type: ignore[call-overload]
        if by is None:
            return persons, dp_count(persons, epsilon, confidence=confidence)
        return persons, dp_histogram(persons, list(LEVELS[by]), epsilon, confidence=confidence)

    def _condition_rows(
        self, grant_id: str, condition: Condition, dims: Sequence[str], *, actor: str
    ) -> tuple[list[str], list[tuple[object, ...]]]:
        """The whole grid of ``dims`` (zeros included) with the persons in each cell: persons
        with the source code ``condition`` (``VOCAB|code``), or, when it is a number, with that
        standard concept or any of its descendants (the vocabulary's ``concept_ancestor``)."""
        unknown = [d for d in dims if d not in DIMENSIONS]
        if unknown or not dims:
            raise WorkspaceError(f"count by {', '.join(DIMENSIONS)}; not by {', '.join(unknown)}")
        select_dims = ", ".join(f"{DIMENSIONS[d]} AS {d}" for d in dims)
        concept = isinstance(condition, int)
        column = "condition_concept_id" if concept else "condition_source_value"
        match = (
            "condition_concept_id = ? OR condition_concept_id IN (SELECT descendant_concept_id "
            "FROM vocab_concept_ancestor WHERE ancestor_concept_id = ?)"
            if concept
            else "condition_source_value = ?"
        )
        with self.session(grant_id, "aggregates", actor=actor) as ws:
            ws.require("person", ["year_of_birth", "gender_concept_id"])
            ws.require("condition_occurrence", [column])
            result = ws.query(
                f"""
                SELECT {select_dims}, count(*) AS persons
                FROM (
                    SELECT p.person_id, p.gender_concept_id, year(current_date) - p.year_of_birth AS age
                    FROM scoped_person p
                    WHERE p.person_id IN (
                        SELECT person_id FROM scoped_condition_occurrence WHERE {match})
                ) GROUP BY ALL ORDER BY ALL
                """,
                [condition, condition] if concept else [condition],
            )
        found = {
            tuple(row[:-1]): row[-1]
            for row in zip(
                *(result.column(i).to_pylist() for i in range(result.num_columns)), strict=True
            )
        }
        rows = [(*cell, found.get(cell, 0)) for cell in product(*(LEVELS[d] for d in dims))]
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
        sources: Sequence[dict[str, str]] = (),
    ) -> OutputRequest:
        """Hand a count table to the release desk: the only exit from the workspace.

        ``columns`` are the table's dimensions and one count column; ``population``
        defines whom the counts are about (the ledger compares releases by it;
        default: the grant and the description). ``sources`` names what the table
        came from (``{"job": id, "file": name, "sha256": hash}``); the desk's
        ``release.request`` event binds them to the release (the permit chain).
        """
        table = self._counts_output(
            grant_id, columns, rows, count_columns, description, population, sources
        )
        return self._hand_over(grant_id, table, description, actor=actor, sources=sources)

    def _counts_output(
        self,
        grant_id: str,
        columns: list[str],
        rows: list[tuple[object, ...]],
        count_columns: list[str],
        description: str,
        population: str | None = None,
        sources: Sequence[dict[str, str]] = (),
    ) -> Output:
        if len(count_columns) != 1 or count_columns[0] not in columns:
            raise WorkspaceError("a count table has exactly one count column among its columns")
        count_at = columns.index(count_columns[0])
        dims = [c for i, c in enumerate(columns) if i != count_at]
        reordered = [(*(r[i] for i in range(len(r)) if i != count_at), r[count_at]) for r in rows]
        grid = counts_table(dims, reordered, measure=count_columns[0])
        grant = self.governance.grant(grant_id)
        definition = population or f"grant {grant_id} ({grant.purpose}): {description}"
        provenance = dict(sources[0]) if sources else {"grant": grant_id, "source": "workspace"}
        return Output(
            re.sub(r"[^\w.-]+", "_", description).strip("_")[:80] or "table", "frequency_table", grid,
            Population(definition, int(grid.count.sum())), provenance,
        )  # fmt: skip

    def _hand_over(
        self,
        grant_id: str,
        output: Output,
        description: str,
        *,
        actor: str,
        sources: Sequence[dict[str, str]] = (),
        output_type: str = "aggregates",
    ) -> OutputRequest:
        role = self.role_of(grant_id, actor, output_type)
        grant = self.governance.grant(grant_id)
        handed = self.desk.request(grant_id, [output], description=description, actor=actor)
        self.audit.record(
            actor=actor, role=role, action="workspace.release", object=handed.id,
            purpose=grant.purpose,
            details={"grant": grant_id, "description": description,
                     "status": handed.items[0].status, "sources": list(sources)},
        )  # fmt: skip
        return handed

    def anonymised_extract(
        self,
        grant_id: str,
        sql: str,
        quasi_identifiers: dict[str, str],
        sensitive: Sequence[str],
        *,
        actor: str,
        description: str,
        name: str = "anonymised_extract",
    ) -> OutputRequest:
        """A person-level extract for export, generalised to the policy's k, l and t.

        ``sql`` (checked like any query) selects one row per person from the grant's
        views; every column is declared a quasi-identifier (column → hierarchy) or
        sensitive. It runs under the grant's ``anonymised_dataset`` output type with
        today's consent; the generalised rows go to the release desk, verified by
        pyCANON. If the policy cannot be reached the request is refused, saying why.
        """
        from socle.release import anonymised_extract

        with self.session(grant_id, EXTRACT, actor=actor) as reader:
            table = reader.query(sql)
        extract = anonymised_extract(
            table.to_pandas(), quasi_identifiers, sensitive, self.desk.policy
        )
        grant = self.governance.grant(grant_id)
        sql_sha = hashlib.sha256(sql.encode()).hexdigest()
        population = Population(f"grant {grant_id} ({grant.purpose}): {sql_sha}", table.num_rows)
        output = Output(name, "anonymised_extract", extract, population, {"sql_sha256": sql_sha})
        return self._hand_over(
            grant_id, output, description, actor=actor, output_type=EXTRACT,
            sources=[{"sql_sha256": sql_sha}],
        )  # fmt: skip

    def release_job_table(
        self, job_id: str, file: str, count_columns: list[str], *, actor: str, description: str
    ) -> OutputRequest:
        """Hand a CSV count table a job wrote (counts in ``count_columns``) to the release desk.

        The file must be an output of a succeeded job and still have the hash
        recorded when the job ended.
        """
        job = self.jobs.job(job_id)
        if job.state != "succeeded":
            raise WorkspaceError(
                f"job {job_id} is {job.state}; only a succeeded job's outputs go out"
            )
        output = next(
            (o for o in self.jobs.outputs(job_id) if o.name == file and o.kind == "file"), None
        )
        if output is None:
            raise WorkspaceError(f"job {job_id} has no output file '{file}'")
        if sha256_file(output.path) != output.sha256:
            raise WorkspaceError(f"output '{file}' of job {job_id} changed after the job ended")
        with output.path.open(newline="") as f:
            reader = csv.reader(f)
            columns = next(reader, [])
            rows = [tuple(_cell(c) for c in row) for row in reader]
        missing = [c for c in count_columns if c not in columns]
        if missing:
            raise WorkspaceError(f"'{file}' has no column(s) {', '.join(missing)} to check")
        return self.release(
            job.grant_id, columns, rows, count_columns, actor=actor, description=description,
            sources=[{"job": job_id, "file": file, "sha256": output.sha256}],
        )  # fmt: skip


def _cell(text: str) -> object:
    """A CSV cell as an int when it is one (counts), else the text."""
    try:
        return int(text)
    except ValueError:
        return text
