"""Project teams with published roles, and the population a request restricts itself to."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from socle.api import Principal, Role
from socle.governance import (
    GovernanceError,
    Population,
    ProjectRequest,
    TeamMember,
    load_team_roles,
)
from socle.node import Node
from tests.apiclient import api_client, token_for
from tests.helpers import make_request

PI = TeamMember("ada", "principal_investigator")


def _checks(node: Node, request: ProjectRequest) -> dict[str, tuple[bool, str]]:
    rid = node.governance.create(request, actor="r")
    results = {c.name: (c.passed, c.reason) for c in node.governance.submit(rid, actor="r")}
    assert node.governance.request(rid)[1] == (
        "checked" if all(p for p, _ in results.values()) else "rejected"
    )
    return results


def _request(node: Node, **changes: object) -> ProjectRequest:
    dataset = node.catalog.register(
        node.warehouse, title="t", description="d", publisher="p", actor="s"
    )
    return replace(make_request(node, dataset.id), **changes)  # type: ignore[arg-type]


def test_team_with_one_principal_investigator_and_known_roles_passes(loaded: Node) -> None:
    team = (PI, TeamMember("bo", "statistician"), TeamMember("cy", "data_scientist"))
    checks = _checks(loaded, _request(loaded, team=team))
    assert checks["team_roles"] == (True, "")


def test_team_without_principal_investigator_is_rejected_with_reason(loaded: Node) -> None:
    checks = _checks(loaded, _request(loaded, team=(TeamMember("bo", "researcher"),)))
    assert checks["team_roles"] == (
        False, "the team needs exactly one principal_investigator, it has 0",
    )  # fmt: skip


def test_team_with_two_principal_investigators_is_rejected(loaded: Node) -> None:
    team = (PI, TeamMember("bo", "principal_investigator"))
    passed, reason = _checks(loaded, _request(loaded, team=team))["team_roles"]
    assert not passed and "exactly one principal_investigator, it has 2" in reason


def test_unknown_role_and_duplicate_member_are_named(loaded: Node) -> None:
    team = (PI, TeamMember("bo", "astrologer"), TeamMember("bo", "researcher"))
    passed, reason = _checks(loaded, _request(loaded, team=team))["team_roles"]
    assert not passed
    assert "unknown role(s) astrologer" in reason and "data_manager" in reason
    assert "listed more than once: bo" in reason


def test_team_roles_survive_storage(loaded: Node) -> None:
    team = (PI, TeamMember("bo", "data_manager"))
    request = _request(loaded, team=team, population=Population(min_age=18, sex="F"))
    stored, _ = loaded.governance.request(loaded.governance.create(request, actor="r"))
    assert stored.team == team and stored.population == Population(18, None, "F")
    assert stored.on_team("bo") and not stored.on_team("eve")


@pytest.mark.parametrize(
    ("population", "reason"),
    [
        (Population(min_age=45, max_age=18), "min_age 45 is above max_age 18"),
        (Population(max_age=131), "max_age 131 is outside 0-130"),
        (Population(min_age=-1), "min_age -1 is outside 0-130"),
        (Population(sex="X"), "sex 'X' is not one of M, F"),  # type: ignore[arg-type]
    ],
)
def test_invalid_population_is_refused_at_submission(
    loaded: Node, population: Population, reason: str
) -> None:
    passed, text = _checks(loaded, _request(loaded, population=population))["population_valid"]
    assert not passed and text == f"population: {reason}"


def test_valid_population_passes_its_check(loaded: Node) -> None:
    population = Population(min_age=0, max_age=130, sex="M")
    assert _checks(loaded, _request(loaded, population=population))["population_valid"] == (
        True, "",
    )  # fmt: skip


def test_roles_file_whose_lead_is_not_a_role_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "roles.toml"
    path.write_text('[rules]\nlead = "boss"\nfiler = "researcher"\n[roles]\nresearcher = "r"\n')
    with pytest.raises(GovernanceError, match=r"rules\.lead 'boss' is not one of the roles"):
        load_team_roles(path)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with api_client(tmp_path_factory.mktemp("team") / "home") as c:
        yield c


BODY = {
    "title": "t", "sponsor": "s", "purpose": "research", "public_interest": "p",
    "dataset_id": "ds-1", "output_types": ["aggregates"],
    "variables": [{"table": "person", "column": "year_of_birth", "justification": "j"}],
}  # fmt: skip


def test_api_puts_the_filer_on_the_team_as_researcher(client: TestClient) -> None:
    headers = token_for(client, Principal("dana", frozenset({Role.RESEARCHER})))
    body = {**BODY, "team": [{"name": "ada", "role": "principal_investigator"}],
            "population": {"min_age": 18, "max_age": 44, "sex": "F"}}  # fmt: skip
    created = client.post("/requests", json=body, headers=headers)
    assert created.status_code == 201, created.text
    assert created.json()["team"] == [
        {"name": "dana", "role": "researcher"},
        {"name": "ada", "role": "principal_investigator"},
    ]
    assert created.json()["population"] == {"min_age": 18, "max_age": 44, "sex": "F"}


def test_api_keeps_the_role_the_filer_gives_themselves(client: TestClient) -> None:
    headers = token_for(client, Principal("dana", frozenset({Role.RESEARCHER})))
    body = {**BODY, "team": [{"name": "dana", "role": "principal_investigator"}]}
    created = client.post("/requests", json=body, headers=headers)
    assert created.status_code == 201, created.text
    assert created.json()["team"] == [{"name": "dana", "role": "principal_investigator"}]
    assert created.json()["population"] is None


def test_api_refuses_a_team_member_without_a_role(client: TestClient) -> None:
    headers = token_for(client, Principal("dana", frozenset({Role.RESEARCHER})))
    response = client.post("/requests", json={**BODY, "team": ["ada"]}, headers=headers)
    assert response.status_code == 422
