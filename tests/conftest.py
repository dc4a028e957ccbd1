"""Shared fixtures: a fresh node per test, small and full samples of real Synthea patients."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import asdict
from pathlib import Path

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from socle.config import Settings
from socle.node import Node
from tests.cli import Run

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


# The modules that take longest (``make test``'s ``--durations=0``, summed per module,
# 2026-11-24), longest first. They are run first so that the xdist workers, each given whole
# modules (``--dist loadscope --no-loadscope-reorder``), finish together: started last, one of
# them used to leave a worker running alone for a minute. Order only: a module missing from
# this list still runs, in its random place.
LONGEST_FIRST = (
    "integration/test_governed_engines.py",
    "integration/test_federation.py",
    "integration/test_api_schema.py",
    "integration/test_ingest_kill.py",
    "integration/test_serve.py",
    "e2e/test_demo.py",
    "unit/test_guarantee.py",
    "integration/web/test_desk_care_audit_journeys.py",
    "e2e/test_api_lifecycle.py",
    "unit/test_notes_sample.py",
    "unit/test_key_rotation.py",
    "unit/test_model_lifecycle.py",
    "integration/test_migrations.py",
    "unit/test_consent_bulk.py",
    "unit/test_notes_engine.py",
    "e2e/test_researcher_workspace.py",
)


def _rank(item: pytest.Item) -> int:
    if not item.path.is_relative_to(REPO / "tests"):
        return len(LONGEST_FIRST)
    module = "/".join(item.path.relative_to(REPO / "tests").parts)
    return LONGEST_FIRST.index(module) if module in LONGEST_FIRST else len(LONGEST_FIRST)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every integration test (real servers, subprocesses, browsers) is ``slow``; so are the
    modules that mark themselves. ``pytest -m "not slow"`` runs the fast set.

    The longest modules move to the front (a stable sort after pytest-randomly's shuffle, so
    the order is still the seed's within each rank)."""
    for item in items:
        if "integration" in item.path.parts:
            item.add_marker(pytest.mark.slow)
    items.sort(key=_rank)


@pytest.fixture(scope="session")
def deid_engine() -> object:
    """Presidio's analyzer with its spaCy pipelines, built once per test process (lazily)."""
    from socle.notes import analyzer

    return analyzer()


def built_once(
    tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]
) -> Path:
    """The folder ``build`` filled, built once per test run: the xdist workers share it (in
    their base temps' parent) and wait on one lock, so the first builds and the others read."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    built = shared / name
    with open(shared / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not built.exists():
            work = shared / f"{name}.building"
            shutil.rmtree(work, ignore_errors=True)
            work.mkdir()
            build(work)
            work.rename(built)  # only a finished build is ever seen
    return built


def loaded_home(
    tmp_path_factory: pytest.TempPathFactory,
    *,
    bundles: int | None = None,
    actor: str = "steward",
    dest: Path | None = None,
) -> Path:
    """A fresh copy (at ``dest``, or a new temporary folder) of a home holding the first
    ``bundles`` sample patients (all: None) loaded by ``actor``. The load runs once per test
    run (``built_once``); every caller gets its own copy to change freely."""

    def build(work: Path) -> None:
        (work / "input").mkdir()
        for bundle in sorted(SAMPLE.glob("*.json.gz"))[:bundles]:
            shutil.copy(bundle, work / "input" / bundle.name)
        node = Node.open(Settings(home=work / "home"))
        try:
            node.load(work / "input", actor=actor)
        finally:
            node.close()

    name = f"loaded-{bundles or 'all'}-{actor}"
    built = built_once(tmp_path_factory, name, build) / "home"
    copy = dest or tmp_path_factory.mktemp(name) / "home"
    shutil.copytree(built, copy)
    return copy


def socle_demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Run]:
    """``socle demo`` as a new user runs it, from an empty folder (not the repository: the
    sample ships with the package), once per test run; its home and what it printed. Callers
    copy the home before changing it."""

    def build(work: Path) -> None:
        from tests.cli import socle

        here = Path.cwd()
        os.chdir(work)
        try:
            result = socle("demo")
        finally:
            os.chdir(here)
        (work / "run.json").write_text(json.dumps(asdict(result)))

    built = built_once(tmp_path_factory, "socle-demo", build)
    return built / "socle-home", Run(**json.loads((built / "run.json").read_text()))


@pytest.fixture
def node(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Node]:
    """A fresh node; with ``loaded`` also asked for, it already holds three patients."""
    home = tmp_path / "home"
    if "loaded" in request.fixturenames:
        factory = request.getfixturevalue("tmp_path_factory")
        loaded_home(factory, bundles=3, actor="test", dest=home)
    n = Node.open(Settings(home=home))
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
def loaded(node: Node) -> Node:
    """The node with three real patients loaded (a copy of one load shared by the run)."""
    return node
