"""The observatory over HTTP: the public sees published entries only; roles do the rest."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from socle.api import Principal, Role
from socle.observatory import packaged_method_text
from tests.apiclient import api_client, token_for

TOOL = {"kind": "tool", "name": "Chest X-ray reader", "maker": "Acme AI", "category": "imaging",
        "evidence": [{"title": "Multicentre study", "year": 2025, "design": "retrospective_multicentre",
                      "sample_size": 4000, "external_validation": True}]}  # fmt: skip


@pytest.fixture
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with api_client(tmp_path_factory.mktemp("obs") / "home") as c:
        yield c


def _as(client: TestClient, name: str, role: Role) -> dict[str, str]:
    return token_for(client, Principal(name, frozenset({role})))


def test_a_submission_is_public_only_after_an_independent_review_and_publication(
    client: TestClient,
) -> None:
    maker = _as(client, "maker@acme", Role.MAKER)
    reviewer = _as(client, "rev@observatory", Role.OBSERVATORY_REVIEWER)
    created = client.post("/observatory/submissions", json={"data": TOOL}, headers=maker)
    assert created.status_code == 201, created.text
    entry_id = created.json()["id"]
    assert client.get("/observatory/entries").json()["total"] == 0  # anonymous public
    assert client.get(f"/observatory/entries/{entry_id}").status_code == 404
    assert "Chest X-ray" not in client.get("/observatory/export.csv").text

    review = f"/observatory/submissions/{entry_id}/review"
    refused = client.post(review, json={}, headers=reviewer)
    assert refused.status_code == 409 and "declaration of interests" in refused.json()["detail"]
    client.post("/observatory/declarations", json={"statement": "no conflict"}, headers=reviewer)
    assert client.post(review, json={}, headers=reviewer).json()["state"] == "reviewed"
    assert client.get(f"/observatory/entries/{entry_id}").status_code == 404
    published = client.post(f"/observatory/submissions/{entry_id}/publish", headers=reviewer)
    assert published.json()["state"] == "published"

    by_evidence = client.get("/observatory/entries?evidence=retrospective_multicentre").json()
    assert [e["id"] for e in by_evidence["items"]] == [entry_id]
    assert client.get("/observatory/entries?evidence=none").json()["total"] == 0
    assert client.get("/observatory/entries?category=triage").json()["total"] == 0
    public = client.get(f"/observatory/entries/{entry_id}").json()
    assert (
        public["data"]["name"] == "Chest X-ray reader"
        and public["reviewed_by"] == "rev@observatory"
    )
    client.post("/observatory/methods", json={"text": packaged_method_text(1), "reason": "initial"},
                headers=reviewer)  # fmt: skip
    top = client.get("/observatory/top/imaging").json()
    assert [s["name"] for s in top["ranked"]] == ["Chest X-ray reader"]
    assert {c["criterion"] for c in top["ranked"][0]["contributions"]} >= {"evidence_level"}


def test_a_conflicted_reviewer_is_refused_and_the_refusal_names_the_conflict(
    client: TestClient,
) -> None:
    maker = _as(client, "maker@acme", Role.MAKER)
    reviewer = _as(client, "rev@observatory", Role.OBSERVATORY_REVIEWER)
    entry_id = client.post("/observatory/submissions", json={"data": TOOL}, headers=maker).json()[
        "id"
    ]
    client.post("/observatory/declarations", json={"statement": "I advise Acme",
                                                   "makers": ["Acme AI"]}, headers=reviewer)  # fmt: skip
    refused = client.post(f"/observatory/submissions/{entry_id}/review", json={}, headers=reviewer)
    assert refused.status_code == 409 and "conflict of interest" in refused.json()["detail"]


def test_submitters_see_their_own_submissions_only(client: TestClient) -> None:
    acme = _as(client, "maker@acme", Role.MAKER)
    rival = _as(client, "maker@rival", Role.MAKER)
    auditor = _as(client, "auditor@h", Role.AUDITOR)
    entry_id = client.post("/observatory/submissions", json={"data": TOOL}, headers=acme).json()[
        "id"
    ]
    path = f"/observatory/submissions/{entry_id}"
    assert client.get(path, headers=acme).status_code == 200
    assert client.get(path, headers=rival).status_code == 403
    assert client.put(path, json={"data": TOOL}, headers=rival).status_code == 403
    assert client.get(path, headers=auditor).json()["history"][0]["submitted_by"] == "maker@acme"


def test_a_method_change_through_the_api_is_audited_with_the_signed_in_reviewer(
    client: TestClient,
) -> None:
    reviewer = _as(client, "rev@observatory", Role.OBSERVATORY_REVIEWER)
    maker = _as(client, "maker@acme", Role.MAKER)
    body = {"text": packaged_method_text(1), "reason": "initial"}
    assert client.post("/observatory/methods", json=body, headers=maker).status_code == 403
    assert client.post("/observatory/methods", json=body, headers=reviewer).status_code == 201
    runner = client.app.state.runner  # type: ignore[attr-defined]
    [event] = runner.call_sync(lambda n: list(n.audit.events("observatory.method_adopt")))
    assert (event.actor, event.role) == ("rev@observatory", "observatory_reviewer")
    method = client.get("/observatory/method").json()
    assert method["version"] == 1 and method["adopted_by"] == "rev@observatory"


def test_a_reviewer_reviews_and_publishes_an_import_in_one_batch_skipping_their_conflicts(
    client: TestClient,
) -> None:
    steward = _as(client, "steward@h", Role.DATA_STEWARD)
    reviewer = _as(client, "rev@observatory", Role.OBSERVATORY_REVIEWER)
    for maker in ("Acme AI", "Other Inc"):
        client.post("/observatory/submissions", json={"data": {**TOOL, "maker": maker}},
                    headers=steward)  # fmt: skip
    client.post("/observatory/declarations", json={"statement": "I advise Acme",
                                                   "makers": ["Acme AI"]}, headers=reviewer)  # fmt: skip
    reviewed = client.post("/observatory/reviews", json={"source": "submission"}, headers=reviewer)
    assert len(reviewed.json()["done"]) == 1
    [why] = reviewed.json()["skipped"].values()
    assert "conflict of interest" in why
    published = client.post("/observatory/publications", json={"source": "submission"},
                            headers=reviewer)  # fmt: skip
    assert published.json()["done"] == reviewed.json()["done"]
    assert [e["data"]["maker"] for e in client.get("/observatory/entries").json()["items"]] == [
        "Other Inc"
    ]
    nothing = client.post("/observatory/reviews", json={}, headers=reviewer)
    assert nothing.status_code == 422 and "name the entries" in nothing.json()["detail"]
