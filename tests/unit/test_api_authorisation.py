"""Deny by default: every route of the app × every role, allowed or denied as declared."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from socle.api import ALL_ROLES, POLICY, PUBLIC, Principal, Role, api_routes
from tests.apiclient import api_client, token_for
from tests.conftest import REPO

ABBREVIATIONS = {
    "S": Role.DATA_STEWARD, "R": Role.RESEARCHER, "C": Role.COMMITTEE_MEMBER,
    "K": Role.CLINICIAN, "P": Role.PATIENT, "G": Role.COLLEGE_MEMBER, "A": Role.AUDITOR,
    "Adm": Role.ADMINISTRATOR, "M": Role.MAKER, "O": Role.OBSERVATORY_REVIEWER,
    "Ch": Role.OUTPUT_CHECKER,
}  # fmt: skip


def published_matrix() -> dict[str, set[str]]:
    """The role matrix as published in docs/api.md ("Roles and the matrix"): operation -> roles.

    Public operations are left out; the app must enforce exactly the rest.
    """
    text = (REPO / "docs" / "api.md").read_text()
    table = text.split("| operation | route | allowed |", 1)[1].split("\n\n", 1)[0]
    matrix: dict[str, set[str]] = {}
    for line in table.strip().splitlines()[1:]:  # skip the |---| line
        operations, _route, allowed = (cell.strip() for cell in line.strip("|").split("|"))
        if allowed.startswith("public"):
            continue
        roles = (
            set(ALL_ROLES)
            if allowed == "all roles"
            else {ABBREVIATIONS[a] for a in allowed.split()}
        )
        for name in re.findall(r"`([^`]+)`", operations):
            matrix[name] = {str(r) for r in roles}
    return matrix


MATRIX = published_matrix()


def test_the_published_matrix_is_read_whole() -> None:
    assert len(MATRIX) >= 30
    assert MATRIX["audit.events"] == {"auditor"} and MATRIX["auth.me"] == set(ALL_ROLES)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with api_client(tmp_path_factory.mktemp("matrix") / "home") as c:
        yield c


def _operations(client: TestClient) -> list[tuple[str, str, str]]:
    ops: list[tuple[str, str, str]] = []
    for route in api_routes(client.app):  # type: ignore[arg-type]
        url = re.sub(r"\{person_id\}", "7", route.path)
        url = re.sub(r"\{[^}]+\}", "unknown-id", url)
        ops.extend((route.name, method, url) for method in sorted(route.methods or ()))
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


@pytest.mark.parametrize("role", sorted(ALL_ROLES))
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
