"""The pages' reused figures: computed once while their inputs stay the same, never served
after a change — an objection shows in the public counts at once — and never one visitor's."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from socle.api import create_app
from socle.config import Settings
from socle.consent import ConsentEvent
from socle.node import Node
from socle.web.cache import Figures
from tests.conftest import SAMPLE


def test_a_figure_is_computed_once_per_key_and_the_oldest_is_dropped() -> None:
    figures, calls = Figures(size=2), []

    def make(key: str) -> str:
        calls.append(key)
        return key.upper()

    assert figures.get("a", lambda: make("a")) == "A"
    assert figures.get("a", lambda: make("a")) == "A"
    figures.get("b", lambda: make("b"))
    figures.get("c", lambda: make("c"))  # "a" is the least recently used: dropped
    figures.get("a", lambda: make("a"))
    assert calls == ["a", "b", "c", "a"] and figures.made == 4


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str, list[int]]]:
    """The 50 sample patients, nobody objecting yet; one dataset registered."""
    home = tmp_path_factory.mktemp("web-cache") / "home"
    node = Node.open(Settings(home=home))
    node.load(SAMPLE, actor="steward")
    persons = sorted(int(r[0]) for r in node.warehouse.aggregate("SELECT person_id FROM person"))
    ds = node.catalog.register(node.warehouse, title="t", description="d", publisher="p", actor="s")
    node.close()
    yield home, ds.id, persons


def _population(client: TestClient, dataset_id: str) -> str:
    page = client.get(f"/web/catalogue/{dataset_id}")
    assert page.status_code == 200
    text: str = page.text
    start = text.index('id="population"')
    return text[text.index(">", start) + 1 : text.index("<", start)].strip()


def test_an_objection_is_reflected_at_once_in_the_public_counts(
    home: tuple[Path, str, list[int]],
) -> None:
    path, dataset_id, persons = home
    app = create_app(Settings(home=path))
    with TestClient(app) as client:
        web = next(r.app for r in app.routes if getattr(r, "name", "") == "web")  # type: ignore[attr-defined]
        figures = web.state.figures
        assert _population(client, dataset_id) == "50"
        assert _population(client, dataset_id) == "50"
        assert figures.made == 1  # the second view reused the counts
        today = datetime.now(UTC).date()
        objections = [ConsentEvent(p, "research", "objection", today, "portal", "p")
                      for p in persons[:3]]  # fmt: skip
        app.state.runner.call_sync(
            lambda n: n.consent.record(objections, actor="portal", role="patient")
        )
        assert _population(client, dataset_id) == "45"  # 47 consenting, rounded to 5
        assert figures.made == 2
