"""Workspace: scoped reads through grant and consent, checked releases."""

from socle.workspace.workspace import Release, Workspace, WorkspaceError

__all__ = ["Release", "Workspace", "WorkspaceError"]
