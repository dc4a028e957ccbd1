"""The warehouse's DuckDB threads follow the node's setting: a server leaves a core to requests."""

from __future__ import annotations

from pathlib import Path

import pytest

from socle.config import Settings
from socle.node import Node


def _threads(node: Node) -> int:
    return int(node.warehouse.aggregate("SELECT current_setting('threads')")[0][0])


def test_the_warehouse_uses_the_threads_the_settings_give(tmp_path: Path) -> None:
    node = Node.open(Settings(home=tmp_path / "home", warehouse_threads=1))
    try:
        assert _threads(node) == 1
    finally:
        node.close()


def test_the_setting_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOCLE_WAREHOUSE_THREADS", "3")
    node = Node.open(Settings(home=tmp_path / "home"))
    try:
        assert _threads(node) == 3
    finally:
        node.close()
