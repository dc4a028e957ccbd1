"""Workspace: scoped reads through grant and consent; outputs leave by the release desk."""

from socle.workspace.workspace import Workspace, WorkspaceError

__all__ = ["Workspace", "WorkspaceError"]
