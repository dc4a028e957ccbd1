"""The API on each governance store: sign in, record and check consent, audit the actor."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from socle.api import Role
from tests.apiclient import add_user, api_client, sign_in


def test_api_records_and_checks_consent_on_the_store(tmp_path: Path, governance_url: str) -> None:
    today = str(datetime.now(UTC).date())
    with api_client(tmp_path / "home", governance_url) as client:
        add_user(client, "steward", {Role.DATA_STEWARD})
        add_user(client, "auditor", {Role.AUDITOR})
        steward, auditor = sign_in(client, "steward"), sign_in(client, "auditor")
        event = {"person_id": 42, "purpose": "research", "kind": "objection", "effective": today}
        recorded = client.post("/consent/events", json={"events": [event]}, headers=steward)
        assert recorded.status_code == 201, recorded.text
        check = client.get("/consent/check?person_id=42&purpose=research", headers=steward)
        assert check.json()["included"] is False
        other = client.get("/consent/check?person_id=43&purpose=research", headers=steward)
        assert other.json()["included"] is True
        unknown = client.get("/consent/check?person_id=42&purpose=nope", headers=steward)
        assert unknown.status_code == 422
        assert unknown.headers["content-type"] == "application/problem+json"
        events = client.get("/audit/events?action=consent.record", headers=auditor).json()
        assert [e["actor"] for e in events["items"]] == ["steward"]
        assert client.get("/audit/verification", headers=auditor).json()["events"] == 3
