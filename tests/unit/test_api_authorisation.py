"""Deny by default: every route of the app × every role, allowed or denied as declared."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from socle.api import POLICY, PUBLIC, Principal, Role, api_routes
from tests.apiclient import api_client, token_for

S, R, C, K = "data_steward", "researcher", "committee_member", "clinician"
P, G, A, ADM = "patient", "college_member", "auditor", "administrator"
M, O = "maker", "observatory_reviewer"
EVERYONE = {S, R, C, K, P, G, A, ADM, M, O}

# The role matrix as published in docs/api.md; the app must enforce exactly this.
MATRIX: dict[str, set[str]] = {
    "auth.me": EVERYONE,
    "users.create": {ADM},
    "ingest.load": {S},
    "quality.report": {S},
    "catalog.register": {S},
    "catalog.dataset": {S, R, C, A, ADM},
    "catalog.variables": {S, R, C, A, ADM},
    "consent.purposes": EVERYONE,
    "consent.record": {S},
    "consent.check": {S},
    "consent.person": {S},
    "consent.mine": {P},
    "consent.my_choice": {P},
    "consent.my_uses": {P},
    "requests.create": {R},
    "requests.get": {R, C, A},
    "requests.submit": {R},
    "requests.review": {C},
    "requests.decide": {C},
    "requests.reviews.create": {C},
    "committee.members.create": {ADM},
    "committee.conflicts.create": {C},
    "requests.grant": {C},
    "grants.get": {R, C, A},
    "grants.revoke": {C},
    "workspace.condition_counts": {R},
    "models.train": {R},
    "models.get": {R, C, A},
    "predictions.create": {K},
    "predictions.get": {K, G},
    "predictions.decide": {K},
    "guarantee.status": {G, A, ADM},
    "audit.events": {A},
    "audit.verify": {A, ADM},
    "observatory.submit": {M, S, K, R},
    "observatory.revise": {M, S, K, R},
    "observatory.submission": {M, S, K, R, O, A},
    "observatory.queue": {O, S, A},
    "observatory.declare": {O},
    "observatory.review": {O},
    "observatory.publish": {O},
    "observatory.review_batch": {O},
    "observatory.publish_batch": {O},
    "observatory.method_adopt": {O},
    "observatory.ranking_record": {O},
    "observatory.sync": {S},
}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with api_client(tmp_path_factory.mktemp("matrix") / "home") as c:
        yield c


def _operations(client: TestClient) -> list[tuple[str, str, str]]:
    ops = []
    for route in api_routes(client.app):  # type: ignore[arg-type]
        url = re.sub(r"\{person_id\}", "7", route.path)
        url = re.sub(r"\{[^}]+\}", "unknown-id", url)
        ops.extend((route.name, method, url) for method in sorted(route.methods))
    return ops


def test_every_route_is_declared_in_the_policy_and_the_matrix(client: TestClient) -> None:
    names = {name for name, _, _ in _operations(client)}
    undeclared = sorted(names - set(POLICY) - PUBLIC)
    assert undeclared == [], f"routes without declared roles: {undeclared}"
    assert {n: set(POLICY[n]) for n in names - PUBLIC} == MATRIX


def test_every_route_denies_anonymous_callers(client: TestClient) -> None:
    for name, method, url in _operations(client):
        if name in PUBLIC:
            continue
        response = client.request(method, url, json={})
        assert response.status_code == 401, (name, response.text)
        assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("role", list(Role))
def test_every_route_allows_exactly_its_declared_roles(client: TestClient, role: Role) -> None:
    who = Principal(f"{role}@test", frozenset({role}), person_id=7, care_contexts=("ward-a",))
    headers = token_for(client, who)
    wrong = []
    for name, method, url in _operations(client):
        if name in PUBLIC:
            continue
        response = client.request(method, url, json={}, headers=headers)
        denied = response.status_code == 403 and "may not call" in response.json()["detail"]
        if denied == (role in MATRIX[name]) or response.status_code in (401, 500):
            wrong.append((name, response.status_code, response.json().get("detail")))
    assert wrong == []


def test_a_token_signed_by_another_key_is_refused(tmp_path: Path, client: TestClient) -> None:
    from socle.api import LocalIssuer

    forged = LocalIssuer("x" * 40, "socle-local", 5).issue(
        Principal("mallory", frozenset({Role.ADMINISTRATOR}))
    )
    response = client.get("/auth/me", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401
    assert "not valid" in response.json()["detail"]
