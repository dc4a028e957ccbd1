"""Lists come one page at a time, read and counted in SQL, with a bounded page size."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from socle.api import Principal, Role
from socle.consent import ConsentEvent
from socle.node import Node
from tests.apiclient import api_client, token_for

STEWARD = Principal("steward", frozenset({Role.DATA_STEWARD}))
PAGED = (
    ("/consent/persons/7", STEWARD),
    ("/output-requests", Principal("checker", frozenset({Role.OUTPUT_CHECKER}))),
    ("/projects/req-1/ledger", Principal("auditor", frozenset({Role.AUDITOR}))),
    ("/models", Principal("auditor", frozenset({Role.AUDITOR}))),
    ("/guarantee/alerts", Principal("auditor", frozenset({Role.AUDITOR}))),
    ("/audit/events", Principal("auditor", frozenset({Role.AUDITOR}))),
)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with api_client(tmp_path / "home") as c:
        yield c


def _events(client: TestClient, n: int) -> None:
    start = date(2026, 1, 1)
    events = [
        ConsentEvent(7, "research", "objection" if i % 2 == 0 else "withdraw_objection",
                     start + timedelta(days=i), "paper_form", "steward")
        for i in range(n)
    ]  # fmt: skip
    runner = client.app.state.runner  # type: ignore[attr-defined]
    runner.call_sync(lambda node: node.consent.record(events, actor="steward", role="data_steward"))


def test_consent_history_comes_a_page_at_a_time_with_its_total(client: TestClient) -> None:
    _events(client, 7)
    steward = token_for(client, STEWARD)
    pages = [
        client.get("/consent/persons/7", params={"limit": 3, "offset": o}, headers=steward).json()
        for o in (0, 3, 6)
    ]
    assert [p["history"]["total"] for p in pages] == [7, 7, 7]
    assert [len(p["history"]["items"]) for p in pages] == [3, 3, 1]
    effective = [e["effective"] for p in pages for e in p["history"]["items"]]
    assert effective == sorted(effective) and len(set(effective)) == 7  # in order, none twice
    assert len(pages[0]["states"]) > 1  # the current choices are whole, not paged


@pytest.mark.parametrize(("path", "who"), PAGED, ids=[p for p, _ in PAGED])
def test_every_paged_list_refuses_a_page_too_large_or_empty(
    client: TestClient, path: str, who: Principal
) -> None:
    headers = token_for(client, who)
    for limit in (0, 501):
        assert client.get(path, params={"limit": limit}, headers=headers).status_code == 422
    page = client.get(path, params={"limit": 500}, headers=headers).json()
    body = page.get("history", page)
    assert set(body) == {"items", "total", "limit", "offset"} and body["limit"] == 500


def test_the_registry_pages_a_history_in_sql(node: Node) -> None:
    events = [
        ConsentEvent(9, "research", "objection", date(2026, 1, d), "portal", "p") for d in (3, 1, 2)
    ]
    node.consent.record(events, actor="p", role="patient")
    page = node.consent.history_page(9, limit=2, offset=1)
    assert page.total == 3 and [e.effective.day for e in page.items] == [2, 3]
