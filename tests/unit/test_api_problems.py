"""Bad input is a 422 problem+json that says what to fix, never a server error."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from socle.api import Principal, Role
from tests.apiclient import api_client, token_for


@pytest.fixture
def steward(tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str]]]:
    with api_client(tmp_path / "home") as client:
        yield client, token_for(client, Principal("steward", frozenset({Role.DATA_STEWARD})))


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("a\u0000b", "NUL characters"),
        ("\udb34x", "lone surrogate"),
        ("../outside", "outside the import directory"),
        ("missing", "does not exist in the import directory"),
    ],
)
def test_unusable_load_paths_are_refused_with_the_reason(
    steward: tuple[TestClient, dict[str, str]], path: str, message: str
) -> None:
    client, headers = steward
    body = json.dumps({"path": path})  # ASCII-escaped, as a client may send a lone surrogate
    response = client.post(
        "/ingest/loads", content=body, headers={**headers, "content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert message in response.json()["detail"]


def test_unknown_field_is_named(steward: tuple[TestClient, dict[str, str]]) -> None:
    client, headers = steward
    response = client.post("/ingest/loads", json={"path": "x", "owner": "y"}, headers=headers)
    assert response.status_code == 422
    assert "body.owner: Extra inputs are not permitted" in response.json()["detail"]


def test_unknown_route_is_a_problem_too(steward: tuple[TestClient, dict[str, str]]) -> None:
    client, headers = steward
    response = client.get("/no/such/route", headers=headers)
    assert response.status_code == 404
    assert response.json()["title"] == "Not Found"


def test_a_busy_warehouse_is_a_503_with_a_delay_to_retry_after() -> None:
    from socle.api.problems import status_of
    from socle.warehouse import WarehouseBusyError

    busy = WarehouseBusyError("the warehouse's memory is taken; try again in a few seconds")
    assert status_of(busy) == 503 and busy.retry_after > 0
