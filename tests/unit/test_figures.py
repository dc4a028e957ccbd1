"""Reused figures (the catalogue's counts, the pages' charts): computed once while their inputs stay the same, never served
after a change — an objection shows in the public counts at once — and never one visitor's."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from socle.api import Principal, Role, create_app
from socle.config import Settings
from socle.consent import ConsentEvent
from socle.figures import Figures
from socle.node import Node
from tests.apiclient import token_for
from tests.conftest import loaded_home


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


def test_readers_of_a_missing_figure_wait_for_one_computation() -> None:
    figures, started = Figures(), threading.Event()
    calls: list[int] = []

    def slow() -> str:
        calls.append(1)
        started.set()
        time.sleep(0.3)
        return "counts"

    with ThreadPoolExecutor(8) as pool:
        first = pool.submit(figures.get, "k", slow)
        started.wait(5)
        others = [pool.submit(figures.get, "k", slow) for _ in range(7)]
        results = [first.result(), *(f.result() for f in others)]
    assert results == ["counts"] * 8 and calls == [1] and figures.made == 1


def test_a_failed_computation_reaches_its_waiters_and_the_next_reader_retries() -> None:
    figures, started, release = Figures(), threading.Event(), threading.Event()

    def failing() -> str:
        started.set()
        release.wait(5)
        raise RuntimeError("warehouse busy")

    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(figures.get, "k", failing)
        started.wait(5)
        waiter = pool.submit(figures.get, "k", lambda: "never computed: it waits for the first")
        time.sleep(0.1)
        release.set()
        for future in (first, waiter):
            with pytest.raises(RuntimeError, match="busy"):
                future.result()
    assert figures.get("k", lambda: "fresh") == "fresh" and figures.made == 1


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str, list[int]]]:
    """The 50 sample patients, nobody objecting yet; one dataset registered."""
    home = loaded_home(tmp_path_factory)
    node = Node.open(Settings(home=home))
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
        figures = app.state.runner.call_sync(lambda n: n.catalog.figures)
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
        researcher = token_for(client, Principal("r", frozenset({Role.RESEARCHER})))
        api = client.get(f"/catalog/datasets/{dataset_id}", headers=researcher)
        assert api.json()["population"] == 45 and figures.made == 2  # the API reuses them
