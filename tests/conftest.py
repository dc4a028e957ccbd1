"""Shared fixtures: a fresh node per test, small and full samples of real Synthea patients."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from socle.config import Settings
from socle.node import Node

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "data" / "sample"


@pytest.fixture
def node(tmp_path: Path) -> Iterator[Node]:
    n = Node.open(Settings(home=tmp_path / "home"))
    yield n
    n.close()


@pytest.fixture
def small_sample(tmp_path: Path) -> Path:
    """Three real patient bundles (gzipped), copied so tests may add bad files beside them."""
    folder = tmp_path / "input"
    folder.mkdir()
    for bundle in sorted(SAMPLE.glob("*.json.gz"))[:3]:
        shutil.copy(bundle, folder / bundle.name)
    return folder


@pytest.fixture
def loaded(node: Node, small_sample: Path) -> Node:
    node.load(small_sample, actor="test")
    return node
