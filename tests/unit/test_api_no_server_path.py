"""No response carries a server file path, even when the operating system names one."""

from __future__ import annotations

from pathlib import Path

import pytest

from socle.api import Principal, Role
from tests.apiclient import api_client, token_for


@pytest.mark.parametrize("name", ["a" * 300, "x/" * 3000])
def test_an_unusable_load_path_is_refused_without_the_server_path(
    tmp_path: Path, name: str
) -> None:
    home = tmp_path / "home"
    (home / "inbox").mkdir(parents=True)
    with api_client(home) as client:
        headers = token_for(client, Principal("steward", frozenset({Role.DATA_STEWARD})))
        response = client.post("/ingest/loads", json={"path": name}, headers=headers)
    assert response.status_code == 422, response.text
    assert str(tmp_path) not in response.text, response.text
