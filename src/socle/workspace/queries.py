"""Researchers' SQL and cohorts on a grant's views, kept in the workspace as named results.

A result's rows never leave: they are written as Parquet in the grant's
workspace folder, for a job's extract or an output request to use. What the
researcher is shown is its columns and a row count that passed the
disclosure rules (small counts suppressed, others rounded).
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select

from socle.privacy import check_aggregate
from socle.workspace.cohort import CohortDefinition, compile_cohort
from socle.workspace.errors import WorkspaceError
from socle.workspace.records import sha256_file, workspace_result

if TYPE_CHECKING:
    from socle.workspace.workspace import Workspace

_NAME = re.compile(r"[a-z][a-z0-9_]{0,62}")


@dataclass(frozen=True)
class NamedResult:
    """A query's result kept in the workspace. ``rows_disclosed`` is ``None`` when suppressed."""

    id: str
    grant_id: str
    name: str
    kind: str
    columns: tuple[str, ...]
    rows_disclosed: int | None
    sha256: str
    path: Path
    notes: tuple[str, ...] = ()


class Queries:
    """Runs SQL or a cohort through a workspace session and keeps the result."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace

    def run_sql(
        self, grant_id: str, name: str, sql: str, *, actor: str, output_type: str = "aggregates"
    ) -> NamedResult:
        """Check and run ``sql`` on the grant's views; keep its rows as result ``name``."""
        return self._run(grant_id, name, sql, "sql", actor=actor, output_type=output_type)

    def run_cohort(
        self,
        grant_id: str,
        cohort: CohortDefinition,
        *,
        actor: str,
        output_type: str = "aggregates",
    ) -> NamedResult:
        """Compile a cohort definition and keep its members (person, index date) as a result."""
        sql = compile_cohort(cohort)
        return self._run(
            grant_id, cohort.name, sql, "cohort", actor=actor, output_type=output_type,
            required=cohort.tables(), notes=cohort.notes,
        )  # fmt: skip

    def result(self, grant_id: str, name: str) -> NamedResult:
        """The latest result called ``name`` under the grant."""
        with self.workspace.audit.engine.connect() as conn:
            row = conn.execute(
                select(workspace_result)
                .where(workspace_result.c.grant_id == grant_id, workspace_result.c.name == name)
                .order_by(workspace_result.c.created_at.desc(), workspace_result.c.id.desc())
            ).first()
        if row is None:
            raise WorkspaceError(f"grant {grant_id} has no result named '{name}'")
        return NamedResult(
            row.id, row.grant_id, row.name, row.kind, tuple(row.columns),
            self._disclose(row.rows), row.sha256, Path(row.path),
        )  # fmt: skip

    def _run(
        self,
        grant_id: str,
        name: str,
        sql: str,
        kind: str,
        *,
        actor: str,
        output_type: str,
        required: dict[str, list[str]] | None = None,
        notes: tuple[str, ...] = (),
    ) -> NamedResult:
        import pyarrow.parquet as pq

        if not _NAME.fullmatch(name):
            raise WorkspaceError(
                f"result name '{name[:80]}' must be lower case letters, digits and _ "
                "(starting with a letter, at most 63 characters)"
            )
        ws = self.workspace
        with ws.session(grant_id, output_type, actor=actor) as reader:
            for table, columns in (required or {}).items():
                reader.require(table, columns)
            table = reader.query(sql)
        result_id = "res-" + uuid.uuid4().hex[:10]
        folder = ws.grant_dir(grant_id) / "results"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{result_id}.parquet"
        pq.write_table(table, path)
        digest = sha256_file(path)
        sql_sha = hashlib.sha256(sql.encode()).hexdigest()
        role = ws.role_of(grant_id, actor, output_type)
        with ws.audit.engine.begin() as conn:
            conn.execute(
                workspace_result.insert().values(
                    id=result_id, grant_id=grant_id, name=name, kind=kind, sql=sql,
                    sql_sha256=sql_sha, path=str(path), sha256=digest, rows=table.num_rows,
                    columns=table.column_names, actor=actor, role=role,
                    created_at=datetime.now(UTC),
                )
            )  # fmt: skip
            ws.audit.append(
                conn, actor=actor, role=role, action=f"workspace.{kind}", object=result_id,
                purpose=ws.governance.grant(grant_id).purpose,
                details={"grant": grant_id, "name": name, "sql_sha256": sql_sha, "sha256": digest},
            )  # fmt: skip
        return NamedResult(
            result_id, grant_id, name, kind, tuple(table.column_names),
            self._disclose(table.num_rows), digest, path, notes,
        )  # fmt: skip

    def _disclose(self, rows: int) -> int | None:
        """The row count as the disclosure rules let it be shown."""
        ws = self.workspace
        checked = check_aggregate(["rows"], [(rows,)], ["rows"], ws.threshold, ws.rounding_base)
        value = checked.rows[0][0]
        return int(value) if isinstance(value, int) else None
