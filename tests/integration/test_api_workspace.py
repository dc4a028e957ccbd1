"""The workspace over HTTP: queries, cohorts and jobs for the grant's team only; the trace."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from socle.api import Principal, Role
from socle.node import Node
from tests.apiclient import api_client, token_for
from tests.conftest import SAMPLE
from tests.helpers import approved_grant

SCRIPT = """
import pandas as pd
persons = pd.read_parquet("/job/extract/person.parquet")
persons.groupby("gender_concept_id").size().rename("persons").reset_index().to_csv(
    "/job/output/by_sex.csv", index=False)
print(persons.head())
"""


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, str]]:
    base = tmp_path_factory.mktemp("api-ws")
    (base / "input").mkdir()
    for bundle in sorted(SAMPLE.glob("*.json.gz"))[:5]:
        shutil.copy(bundle, base / "input" / bundle.name)
    with api_client(base / "home") as client:
        runner = client.app.state.runner  # type: ignore[attr-defined]

        def prepare(node: Node) -> str:
            node.load(base / "input", actor="steward")
            return approved_grant(node)

        yield client, runner.call_sync(prepare)


def _as(client: TestClient, name: str, *roles: Role) -> dict[str, str]:
    return token_for(client, Principal(name, frozenset(roles)))


def test_team_member_queries_and_sees_no_rows(setup: tuple[TestClient, str]) -> None:
    client, grant_id = setup
    me = _as(client, "researcher", Role.RESEARCHER)
    body = {"name": "persons", "sql": "SELECT person_id, year_of_birth FROM scoped_person"}
    response = client.post(f"/workspaces/{grant_id}/queries", json=body, headers=me)
    assert response.status_code == 201, response.text
    result = response.json()
    assert result["columns"] == ["person_id", "year_of_birth"] and "rows" not in result
    assert result["rows_disclosed"] is None  # 5 persons: below the threshold
    refused = client.post(
        f"/workspaces/{grant_id}/queries",
        json={"name": "leak", "sql": "SELECT person_source_value FROM main.person"},
        headers=me,
    )
    assert refused.status_code == 403 and "main.person" in refused.json()["detail"]


def test_researcher_off_the_team_is_refused(setup: tuple[TestClient, str]) -> None:
    client, grant_id = setup
    other = _as(client, "mallory", Role.RESEARCHER)
    body = {"name": "x", "sql": "SELECT count(*) FROM scoped_person"}
    assert (
        client.post(f"/workspaces/{grant_id}/queries", json=body, headers=other).status_code == 403
    )
    job = {"filename": "a.py", "script": "print(1)"}
    assert client.post(f"/workspaces/{grant_id}/jobs", json=job, headers=other).status_code == 403


def test_cohort_over_http(setup: tuple[TestClient, str]) -> None:
    client, grant_id = setup
    me = _as(client, "researcher", Role.RESEARCHER)
    body = {
        "name": "any_condition",
        "definition": {"domain": "condition", "source_codes": ["SNOMED|44054006"]},
    }
    response = client.post(f"/workspaces/{grant_id}/cohorts", json=body, headers=me)
    assert response.status_code == 403  # the grant has no condition_start_date: refused by scope
    bad = {"name": "bad", "definition": {"domain": "condition", "colour": "blue"}}
    response = client.post(f"/workspaces/{grant_id}/cohorts", json=bad, headers=me)
    assert response.status_code == 422 and "colour" in response.json()["detail"]


def test_job_runs_in_the_background_and_its_log_carries_no_data(
    setup: tuple[TestClient, str],
) -> None:
    client, grant_id = setup
    me = _as(client, "researcher", Role.RESEARCHER)
    response = client.post(
        f"/workspaces/{grant_id}/jobs", json={"filename": "by_sex.py", "script": SCRIPT}, headers=me
    )
    assert response.status_code == 202, response.text
    job_id = response.json()["id"]
    deadline = time.monotonic() + 60
    while (job := client.get(f"/workspace-jobs/{job_id}", headers=me).json())["state"] == "running":
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert job["state"] == "succeeded", job
    assert {"by_sex.csv", "stdout.txt"} <= {o["name"] for o in job["outputs"]}
    assert all("path" not in o for o in job["outputs"])
    log = client.get(f"/workspace-jobs/{job_id}/logs", headers=me).json()["log"]
    assert "ended: succeeded" in log and "year_of_birth" not in log
    other = _as(client, "mallory", Role.RESEARCHER)
    assert client.get(f"/workspace-jobs/{job_id}", headers=other).status_code == 403
    assert client.get(f"/workspace-jobs/{job_id}/logs", headers=other).status_code == 403


def test_auditor_traces_a_release_to_the_decision(setup: tuple[TestClient, str]) -> None:
    client, grant_id = setup
    me = _as(client, "researcher", Role.RESEARCHER)
    counts = {"condition": "SNOMED|44054006", "dims": ["sex"]}
    release = client.post(f"/workspaces/{grant_id}/condition-counts", json=counts, headers=me)
    assert release.status_code == 201
    auditor = _as(client, "audrey", Role.AUDITOR)
    links = client.get(f"/audit/trace/{release.json()['id']}", headers=auditor).json()
    assert [link["kind"] for link in links] == ["release", "grant", "decision", "request"]
    assert links[1]["object"] == grant_id
    assert client.get(f"/audit/trace/{release.json()['id']}", headers=me).status_code == 403
