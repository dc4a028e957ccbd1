"""``POST /catalog/network-feasibility`` on a node that is no hub: a clear 409, a bad body a 422."""

from __future__ import annotations

from pathlib import Path

from socle.api import Principal, Role
from tests.apiclient import api_client, token_for


def test_network_feasibility_on_a_node_that_is_no_hub_says_how_to_start_one(
    tmp_path: Path,
) -> None:
    with api_client(tmp_path / "home") as client:
        me = token_for(client, Principal("ana", frozenset({Role.RESEARCHER})))
        url = "/catalog/network-feasibility"
        none = client.post(url, json={"study": "study-0123456789", "concept": 320128}, headers=me)
        neither = client.post(url, json={"study": "study-0123456789"}, headers=me)
        bad_code = client.post(url, json={"study": "s", "condition": "x; drop"}, headers=me)
    assert none.status_code == 409 and "socle federation hub" in none.json()["detail"]
    assert neither.status_code == 422 and "either a concept or a condition" in neither.text
    assert bad_code.status_code == 422
