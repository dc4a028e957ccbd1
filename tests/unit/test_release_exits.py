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


def _writes(node: ast.Call) -> bool:
    """A call that writes a file (``open`` only with a writing mode)."""
    name = getattr(node.func, "attr", getattr(node.func, "id", ""))
    if name != "open":
        return name in WRITERS
    modes = [a.value for a in node.args if isinstance(a, ast.Constant)]
    modes += [k.value.value for k in node.keywords if k.arg == "mode" and isinstance(k.value, ast.Constant)]  # fmt: skip
    return any(isinstance(m, str) and set(m) & set("wax+") for m in modes)


# Jobs and named results write inside the grant's own workspace folder (extracts, results,
# the sandbox's output); those files leave only as output requests. The modules that hand
# outputs over write nothing.
OWN_FOLDER = {"jobs.py", "queries.py", "records.py", "sandbox.py"}


def test_workspace_code_writes_no_file_of_its_own() -> None:
    """The only way out is ReleaseDesk: the workspace's exit side calls no file writer, and
    no workspace module names the releases folder."""
    offenders = []
    for path in WORKSPACE.rglob("*.py"):
        text = path.read_text()
        if '"releases"' in text or "reports_dir" in text:
            offenders.append(f"{path.name}: names the releases folder")
        if path.name in OWN_FOLDER:
            continue
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.Call) and _writes(node):
                offenders.append(f"{path.name}:{node.lineno}")
    assert offenders == []
