"""Errors of the workspace context."""

from socle.errors import SocleError


class WorkspaceError(SocleError):
    """A workspace request cannot be run as asked."""

    exit_code = 2


class CohortError(WorkspaceError):
    """A cohort definition is invalid or uses features that cannot be compiled."""


class JobError(WorkspaceError):
    """A job cannot be started, found or cancelled as asked."""


class SandboxError(JobError):
    """The job sandbox (bubblewrap) is missing or cannot start on this node."""
