"""For random consent histories on research and AI training, no person whose current choice
excludes either purpose ever reaches a model's training set (a research grant's training
needs both purposes: the taxonomy says so), and every person who allows both can.

The oracle replays each history in plain Python, independently of the registry's SQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socle.ai import build_training_set
from socle.audit import AuditLog
from socle.config import Settings
from socle.consent import ConsentEvent, ConsentRegistry, load_taxonomy
from socle.node import Node, store_tables
from socle.store import create_tables, open_engine
from socle.workspace import Workspace
from tests.conftest import loaded_home
from tests.helpers import TRAINING_VARIABLES as VARIABLES
from tests.helpers import approved_grant, today

TAXONOMY = load_taxonomy()
NEEDED = ("research", "ai_training")


@dataclass(frozen=True)
class World:
    node: Node
    grant: str
    trainable: list[int]  # persons in the training set when nobody objects
    reports: Path


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("training-consent")
    node = Node.open(Settings(home=loaded_home(tmp_path_factory, dest=root / "home")))
    grant = approved_grant(node, variables=VARIABLES, output_types=("model_training",))
    with node.workspace.session(grant, "model_training", actor="researcher") as ws:
        trainable = sorted({int(g) for g in build_training_set(ws).groups})
    yield World(node, grant, trainable, root / "releases")
    node.close()


def test_the_taxonomy_says_model_training_needs_ai_training() -> None:
    assert TAXONOMY.purposes_for("research", "model_training") == NEEDED
    assert TAXONOMY.purposes_for("research", "aggregates") == ("research",)
    assert TAXONOMY.purposes_for("ai_training", "model_training") == ("ai_training",)


@settings(max_examples=30, deadline=None, database=None)
@given(
    history=st.lists(
        st.tuples(
            st.integers(0, 40),  # index into the trainable persons (wraps)
            st.sampled_from([*NEEDED, "public_health"]),
            st.booleans(),  # withdraw an objection (True) or object (False)
            st.integers(0, 10),  # days before today it takes effect
        ),
        min_size=1,
        max_size=30,
    )
)
def test_no_objector_to_research_or_ai_training_reaches_a_training_set(
    world: World, history: list[tuple[int, str, bool, int]]
) -> None:
    engine = create_tables(open_engine("sqlite://"), store_tables())
    registry = ConsentRegistry(engine, AuditLog(engine), TAXONOMY)
    events = [
        ConsentEvent(
            world.trainable[i % len(world.trainable)], purpose,
            "withdraw_objection" if withdraw else "objection",
            today() - timedelta(days=days), "portal", "patient",
        )
        for i, purpose, withdraw, days in history
    ]  # fmt: skip
    registry.record(events, actor="patient", role="patient")
    workspace = Workspace(
        world.node.warehouse, world.node.governance, registry, AuditLog(engine), world.node.desk,
        workdir=world.reports / "workspace",
    )  # fmt: skip
    with workspace.session(world.grant, "model_training", actor="researcher") as ws:
        trained_on = {int(g) for g in build_training_set(ws).groups}

    def allows(person: int, purpose: str) -> bool:
        mine = [
            (e.effective, n, e.kind)
            for n, e in enumerate(events)
            if e.person_id == person and e.purpose == purpose
        ]
        return not mine or max(mine)[2] == "withdraw_objection"

    objectors = {p for p in world.trainable if not all(allows(p, c) for c in NEEDED)}
    assert not trained_on & objectors, "an objector reached the training set"
    assert trained_on == set(world.trainable) - objectors
    engine.dispose()
