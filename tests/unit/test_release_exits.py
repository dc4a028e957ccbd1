"""No output leaves the workspace without the release desk: each exit tried without it."""

from __future__ import annotations

import ast
from pathlib import Path

from socle.node import Node
from tests.helpers import approved_grant

WORKSPACE = Path(__file__).resolve().parents[2] / "src" / "socle" / "workspace"
WRITERS = {"write_bytes", "write_text", "open", "writer", "to_csv", "to_parquet", "savefig", "dump"}


def test_workspace_output_is_not_written_before_two_checkers_approve(loaded: Node) -> None:
    grant_id = approved_grant(loaded)
    releases = loaded.settings.reports_dir / "releases"
    out = loaded.workspace.condition_counts(
        grant_id, "SNOMED|73595000", ("sex",), actor="researcher"
    )
    assert out.state == "submitted" and not list(releases.glob("**/*.csv"))
    for name in ("c1", "c2"):
        loaded.desk.appoint_checker(name, actor="admin")
    loaded.desk.review(out.id, "approved", reasons="", actor="c1")
    assert not list(releases.glob("**/*.csv"))  # one approval is not enough
    loaded.desk.review(out.id, "approved", reasons="", actor="c2")
    assert [p.parent.name for p in releases.glob("**/*.csv")] == [out.id]


def test_check_report_carries_no_values(loaded: Node) -> None:
    grant_id = approved_grant(loaded)
    report = loaded.workspace.check_condition_counts(
        grant_id, "SNOMED|73595000", ("sex",), actor="researcher"
    )
    assert all(
        set(c.as_dict()) == {"name", "status", "reason", "cells", "mitigated", "source"}
        for c in report.checks
    )
    assert not list((loaded.settings.reports_dir / "releases").glob("**/*"))


def test_workspace_code_writes_no_file_of_its_own() -> None:
    """The only way out is ReleaseDesk: the workspace package calls no file writer."""
    offenders = []
    for path in WORKSPACE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "attr", getattr(node.func, "id", ""))
                if name in WRITERS:
                    offenders.append(f"{path.name}:{node.lineno} {name}")
    assert offenders == []
