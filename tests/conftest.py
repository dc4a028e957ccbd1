"""Shared fixtures: a fresh node per test, small and full samples of real Synthea patients."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from socle.config import Settings
from socle.node import Node

# Property tests judge behaviour, not speed: no per-example deadline on a busy 2-core machine.
hypothesis_settings.register_profile(
    "socle", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
hypothesis_settings.load_profile("socle")

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "data" / "sample"


def shared_data(name: str) -> Path:
    """A folder of ``shared/data`` (beside the repository in CI, ``/work/shared`` for worktrees).

    ``$SOCLE_SHARED_DATA`` overrides. Missing data is an error, never a skip: CI has it.
    """
    import os

    candidates = (
        [Path(os.environ["SOCLE_SHARED_DATA"])] if "SOCLE_SHARED_DATA" in os.environ else []
    )
    candidates += [REPO.parent / "shared" / "data", Path("/work/shared/data")]
    for base in candidates:
        if (base / name).is_dir():
            return base / name
    raise FileNotFoundError(
        f"shared data folder {name!r} not found in {[str(c) for c in candidates]}"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every integration test (real servers, subprocesses, browsers) is ``slow``; so are the
    modules that mark themselves. ``pytest -m "not slow"`` runs the fast set."""
    for item in items:
        if "integration" in item.path.parts:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def deid_engine() -> object:
    """Presidio's analyzer with its spaCy pipelines, built once per test process (lazily)."""
    from socle.notes import analyzer

    return analyzer()


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
