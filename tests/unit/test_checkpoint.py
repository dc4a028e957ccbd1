"""The one mandatory checkpoint: no purposeful read without a grant scope and a consent filter."""

from __future__ import annotations

import ast
from datetime import date
from pathlib import Path

import pytest

from socle.node import Node
from socle.warehouse import GrantScope, PersonFilter, ScopeError

SRC = Path(__file__).resolve().parents[2] / "src" / "socle"


def test_scoped_read_needs_both_halves(loaded: Node) -> None:
    scope = GrantScope("g", "research", {"person": ("year_of_birth",)})
    persons = PersonFilter("research", date.today())
    with pytest.raises(ScopeError), loaded.warehouse.scoped(scope, None):  # type: ignore[arg-type]
        pass
    with pytest.raises(ScopeError), loaded.warehouse.scoped(None, persons):  # type: ignore[arg-type]
        pass


def test_grant_and_consent_must_name_the_same_purpose(loaded: Node) -> None:
    scope = GrantScope("g", "research", {"person": ("year_of_birth",)})
    with (
        pytest.raises(ScopeError, match="purpose"),
        loaded.warehouse.scoped(scope, PersonFilter("ai_training", date.today())),
    ):
        pass


def test_scoped_views_hide_ungranted_columns(loaded: Node) -> None:
    scope = GrantScope("g", "research", {"person": ("year_of_birth",)})
    with loaded.warehouse.scoped(scope, PersonFilter("research", date.today())) as ws:
        assert ws.query("SELECT * FROM scoped_person").column_names == [
            "person_id",
            "year_of_birth",
        ]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_only_the_warehouse_touches_duckdb() -> None:
    offenders = [
        str(p.relative_to(SRC))
        for p in SRC.rglob("*.py")
        if "duckdb" in _imports(p) and p.parent.name != "warehouse"
    ]
    assert offenders == []


def test_contexts_use_each_others_public_api_only() -> None:
    """Outside a context, import ``socle.<context>`` only, never its modules (or tables)."""
    contexts = {p.name for p in SRC.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    offenders = []
    for path in SRC.rglob("*.py"):
        owner = path.relative_to(SRC).parts[0]
        for name in _imports(path):
            parts = name.split(".")
            if (
                len(parts) > 2
                and parts[0] == "socle"
                and parts[1] in contexts
                and parts[1] != owner
            ):
                offenders.append(f"{path.relative_to(SRC)} imports {name}")
    assert offenders == []
