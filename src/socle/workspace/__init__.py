"""Workspace: scoped reads through grant and consent, researchers' queries, cohorts and
sandboxed jobs, outputs handed to the release desk, and the permit chain that binds them to the grant."""

from socle.workspace.cohort import (
    CohortDefinition,
    ConceptSet,
    compile_cohort,
    from_circe,
    from_json,
)
from socle.workspace.errors import CohortError, JobError, SandboxError, WorkspaceError
from socle.workspace.jobs import Job, Jobs
from socle.workspace.permit import Link, grant_chain, trace
from socle.workspace.queries import NamedResult, Queries
from socle.workspace.records import TABLES, OutputFile
from socle.workspace.sandbox import Limits
from socle.workspace.workspace import LEVELS, Workspace

__all__ = [
    "LEVELS",
    "TABLES",
    "CohortDefinition",
    "CohortError",
    "ConceptSet",
    "Job",
    "JobError",
    "Jobs",
    "Limits",
    "Link",
    "NamedResult",
    "OutputFile",
    "Queries",
    "SandboxError",
    "Workspace",
    "WorkspaceError",
    "compile_cohort",
    "from_circe",
    "from_json",
    "grant_chain",
    "trace",
]
