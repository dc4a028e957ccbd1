"""Grants that expire close their request: the server does it on its own, cron uses the CLI."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import text

from socle.config import Settings
from socle.node import Node
from tests.apiclient import api_client
from tests.cli import socle
from tests.helpers import approved_grant, today


def _node_with_a_grant_expired_yesterday(home: Path, sample: Path) -> str:
    """A node whose only grant expired yesterday (its expiry set back, as time would)."""
    node = Node.open(Settings(home=home))
    try:
        node.load(sample, actor="steward")
        grant = node.governance.grant(approved_grant(node))
        with node.engine.begin() as conn:
            conn.execute(
                text("UPDATE access_grant SET expires = :day WHERE id = :id"),
                {"day": today() - timedelta(days=1), "id": grant.id},
            )
        return grant.request_id
    finally:
        node.close()


def test_the_server_moves_requests_with_expired_grants_to_expired(
    tmp_path: Path, small_sample: Path
) -> None:
    request_id = _node_with_a_grant_expired_yesterday(tmp_path / "home", small_sample)
    with api_client(tmp_path / "home") as client:
        runner = client.app.state.runner  # type: ignore[attr-defined]
        deadline = time.monotonic() + 30
        while (state := runner.call_sync(lambda n: n.governance.request(request_id)[1])) != (
            "expired"
        ) and time.monotonic() < deadline:
            time.sleep(0.05)
        events = runner.call_sync(lambda n: list(n.audit.events("request.expired")))
    assert state == "expired"
    assert [(e.object, e.actor) for e in events] == [(request_id, "scheduler")]


def test_expire_command_closes_them_once(tmp_path: Path, small_sample: Path) -> None:
    request_id = _node_with_a_grant_expired_yesterday(tmp_path / "home", small_sample)
    first = socle("request", "expire", home=tmp_path / "home")
    assert first.returncode == 0 and f"1 request(s) expired: {request_id}" in first.stdout
    assert "0 request(s) expired" in socle("request", "expire", home=tmp_path / "home").stdout
