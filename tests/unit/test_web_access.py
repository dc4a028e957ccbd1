"""The new pages' exits keep the API's rules: the college's pages are its members' only (a
refusal is a page, audited), a load's progress is its starter's only, the observatory's
public pages show published entries only."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from socle.api import Role
from tests.apiclient import PASSWORD, add_user, api_client


def _signed_in(client: TestClient, username: str) -> None:
    client.cookies.clear()
    client.get("/web/signin")
    response = client.post(
        "/web/signin",
        data={"username": username, "password": PASSWORD, "csrf": client.cookies["socle_csrf"]},
        follow_redirects=False,
    )
    assert response.status_code == 303


def test_only_college_members_open_the_college_pages_and_a_refusal_is_audited(
    tmp_path: Path,
) -> None:
    with api_client(tmp_path / "home") as client:
        add_user(client, "researcher1", {Role.RESEARCHER})
        add_user(client, "member1", {Role.COLLEGE_MEMBER})
        _signed_in(client, "researcher1")
        refused = client.get("/web/college")
        assert refused.status_code == 403 and "Traceback" not in refused.text
        post = client.post(
            "/web/college/models/m1/decision",
            data={"decision": "suspend", "reason": "x", "csrf": client.cookies["socle_csrf"]},
        )
        assert post.status_code == 403
        runner = client.app.state.runner  # type: ignore[attr-defined]
        denied = runner.call_sync(lambda n: list(n.audit.events("access.denied")))
        assert {("researcher1", "web:/web/college")} <= {(e.actor, e.object) for e in denied}
        _signed_in(client, "member1")
        page = client.get("/web/college")
        assert page.status_code == 200 and "No model is used in care yet." in page.text


def test_a_load_is_followed_only_by_the_one_who_started_it(tmp_path: Path) -> None:
    with api_client(tmp_path / "home") as client:
        add_user(client, "steward1", {Role.DATA_STEWARD})
        add_user(client, "steward2", {Role.DATA_STEWARD})
        inbox = client.app.state.import_dir / "batch"  # type: ignore[attr-defined]
        inbox.mkdir(parents=True)
        (inbox / "broken.json").write_text('{"resourceType": "Bundle", "entry": [')
        _signed_in(client, "steward1")
        started = client.post(
            "/web/steward/loads",
            data={"path": "batch", "csrf": client.cookies["socle_csrf"]},
            follow_redirects=False,
        )
        assert started.status_code == 303
        job = started.headers["location"].rsplit("/", 1)[-1]
        status = client.get(f"/web/steward/loads/{job}/status").json()
        assert status["id"] == job and status["files_total"] == 1
        _signed_in(client, "steward2")
        assert client.get(f"/web/steward/loads/{job}/status").status_code == 404
        assert client.get(f"/web/steward/loads/{job}").status_code == 404


def test_the_observatory_pages_show_only_published_entries(tmp_path: Path) -> None:
    with api_client(tmp_path / "home") as client:
        page = client.get("/web/observatory")
        assert page.status_code == 200 and "0 published entries" in page.text
        assert client.get("/web/observatory/entries/obs-unknown").status_code == 404
