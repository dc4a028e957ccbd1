"""A slow workspace query does not hold up anyone else: light reads and state changes are
answered while it runs (served by uvicorn, real DuckDB and SQLite). Not timed: the light
requests must complete while the slow one is still in flight."""

from __future__ import annotations

import secrets
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from pydantic import SecretStr

from socle.api import ApiSettings, Principal, Role, create_app
from socle.config import Settings
from socle.node import Node
from tests.apiclient import served
from tests.conftest import SAMPLE
from tests.helpers import approved_grant, today
from tests.integration.postgres import _free_port

# A six-way cross join with a condition on every row: far longer than the query limit below.
SLOW_SQL = "SELECT count(*) AS n FROM {} WHERE hash({}) % 7 = 3".format(
    ", ".join(f"scoped_condition_occurrence t{i}" for i in range(6)),
    ", ".join(f"t{i}.condition_source_value" for i in range(6)),
)
LIMIT_SECONDS = 6


def test_light_requests_complete_while_a_slow_query_is_in_flight(tmp_path: Path) -> None:
    (tmp_path / "input").mkdir()
    for bundle in sorted(SAMPLE.glob("*.json.gz"))[:3]:
        shutil.copy(bundle, tmp_path / "input" / bundle.name)
    settings = Settings(home=tmp_path / "home", query_timeout_seconds=LIMIT_SECONDS)
    app = create_app(settings, ApiSettings(jwt_secret=SecretStr(secrets.token_urlsafe(40))))
    with served(app, _free_port()) as base, httpx.Client(base_url=base, timeout=120) as client:
        runner = app.state.runner

        def prepare(node: Node) -> str:
            node.load(tmp_path / "input", actor="steward")
            return approved_grant(node)

        grant_id = runner.call_sync(prepare)
        issuer = app.state.issuer
        researcher = {"Authorization": "Bearer " + issuer.issue(Principal("researcher", frozenset({Role.RESEARCHER})))}  # fmt: skip
        steward = {"Authorization": "Bearer " + issuer.issue(Principal("steward", frozenset({Role.DATA_STEWARD})))}  # fmt: skip

        with ThreadPoolExecutor(max_workers=1) as pool:
            slow = pool.submit(
                client.post, f"/workspaces/{grant_id}/queries",
                json={"name": "slow", "sql": SLOW_SQL}, headers=researcher,
            )  # fmt: skip
            # In flight: the checkpoint audits the workspace's opening just before the query.
            audit = runner.node.audit
            while not any(e.object == grant_id for e in audit.events("workspace.open")):
                assert not slow.done(), slow.result().text
                time.sleep(0.05)
            light = [
                client.get("/health"),
                client.get(
                    "/consent/check", params={"person_id": 1, "purpose": "research"},
                    headers=steward,
                ),
                client.get(f"/grants/{grant_id}", headers=researcher),
                client.post(  # a state change, too, is not queued behind the query
                    "/consent/events", headers=steward,
                    json={"events": [{"person_id": 1, "purpose": "research", "kind": "objection",
                                      "effective": today().isoformat()}]},
                ),
            ]  # fmt: skip
            still_running = not slow.done()
            stopped = slow.result()

    assert [r.status_code for r in light] == [200, 200, 200, 201], [r.text for r in light]
    assert still_running, "the light requests waited for the slow query"
    assert stopped.status_code == 422 and "stopped after" in stopped.text, stopped.text
