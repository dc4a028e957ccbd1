"""The consent filter is the only way to rows for a purpose: proved on the source itself.

Only ``consent`` builds a :class:`PersonFilter` (so nobody can hand the
warehouse an empty one); only ``workspace`` (rows for a grant), ``catalog``
(published counts for a purpose) and ``guarantee`` (whether a prediction's outcome
occurred, for the care-quality purpose: ids, status and days only) ask for it and
open a scoped read; packages that read rows for a purpose (workspace, ai, federation,
guarantee) never call the steward's unfiltered aggregate paths.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "socle"
PURPOSEFUL = {"workspace", "ai", "federation", "guarantee"}
STEWARD_PATHS = {
    "aggregate",
    "table_counts",
    "age_sex_pyramid",
    "column_profiles",
    "implausible_counts",
    "temporal_coverage",
}


def _calls(path: Path) -> list[str]:
    """Names of every function or method called in a module."""
    names = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name):
                names.append(func.id)
            elif isinstance(func, ast.Attribute):
                names.append(func.attr)
    return names


def _callers(name: str) -> set[str]:
    return {str(p.relative_to(SRC).parts[0]) for p in SRC.rglob("*.py") if name in _calls(p)}


def test_only_consent_builds_the_person_filter() -> None:
    assert _callers("PersonFilter") == {"consent"}


def test_only_workspace_catalogue_and_outcome_linking_open_scoped_reads() -> None:
    assert _callers("scoped") == {"workspace", "catalog", "guarantee"}
    assert _callers("person_filter") == {"workspace", "catalog", "guarantee"}
    # In guarantee, only the outcome linker reads rows.
    users = {p.name for p in (SRC / "guarantee").rglob("*.py") if "scoped" in _calls(p)}
    assert users == {"outcomes.py"}


def test_purposeful_packages_never_use_the_unfiltered_steward_paths() -> None:
    offenders = [
        f"{p.relative_to(SRC)} calls {name}"
        for p in SRC.rglob("*.py")
        if p.relative_to(SRC).parts[0] in PURPOSEFUL
        for name in _calls(p)
        if name in STEWARD_PATHS
    ]
    assert offenders == []


def test_the_checks_above_see_real_calls() -> None:
    """Guard against a vacuous check: the known call sites are found."""
    assert "person_filter" in _calls(SRC / "workspace" / "workspace.py")
    assert "PersonFilter" in _calls(SRC / "consent" / "registry.py")
