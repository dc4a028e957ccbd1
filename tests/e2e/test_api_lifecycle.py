"""The demo's lifecycle through HTTP: every step by the role that owns it, every change audited."""

from __future__ import annotations

import hashlib
import shutil
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from socle.api import Role
from socle.demo import DEMO_CONDITION, OBJECTOR_EVERY, VARIABLES, source_patient_ids
from socle.governance import load_criteria
from tests.apiclient import PASSWORD, add_user, api_client, fixed_pseudonym_key, sign_in
from tests.conftest import SAMPLE
from tests.helpers import today

pytestmark = pytest.mark.slow

INPUTS = {"age": 58.0, "male": 1.0, "bmi": 31.2, "systolic_bp": 142.0, "glucose": None}


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _job_result(c: TestClient, response: Any, headers: dict[str, str]) -> Any:
    """A long operation answers 202 with a job; wait for it and return its result."""
    job = _ok(response, 202)
    assert job["state"] in ("queued", "running", "succeeded")
    deadline = time.monotonic() + 300
    while job["state"] in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.05)
        job = _ok(c.get(f"/jobs/{job['id']}", headers=headers))
    assert job["state"] == "succeeded", job
    return job["result"]


@pytest.fixture(scope="module")
def lifecycle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Run the lifecycle once; the tests below read what it left."""
    home = tmp_path_factory.mktemp("api") / "home"
    shutil.copytree(SAMPLE, home / "inbox" / "sample")
    fixed_pseudonym_key(home)
    with api_client(home) as client:
        yield _run(client)


def _run(c: TestClient) -> dict[str, Any]:
    add_user(c, "admin", {Role.ADMINISTRATOR})
    admin = sign_in(c, "admin")
    for name, role, extra in [
        ("steward", "data_steward", {}),
        ("alice", "researcher", {}),
        ("bob", "researcher", {}),
        ("chair", "committee_member", {}),
        ("dr.house", "clinician", {"care_contexts": ["gp-clinic"]}),
        ("dr.grey", "clinician", {"care_contexts": ["surgery"]}),
        ("college", "college_member", {}),
        ("auditor", "auditor", {}),
        ("oc1", "output_checker", {}),
        ("oc2", "output_checker", {}),
    ]:
        body = {"username": name, "password": PASSWORD, "roles": [role], **extra}
        created = _ok(c.post("/users", json=body, headers=admin), 201)
        assert "password" not in str(created) and "hash" not in str(created)
    steward, alice, bob, chair = (sign_in(c, u) for u in ("steward", "alice", "bob", "chair"))
    house, grey, auditor = (sign_in(c, u) for u in ("dr.house", "dr.grey", "auditor"))
    run: dict[str, Any] = {
        "client": c,
        "auditor": auditor,
        "alice": alice,
        "bob": bob,
        "house": house,
    }

    # 1-3. collect, qualify, catalogue
    load = c.post("/ingest/loads", json={"path": "sample"}, headers=steward)
    run["load"] = _job_result(c, load, steward)
    run["load_job_seen_by_alice"] = c.get(f"/jobs/{load.json()['id']}", headers=alice)
    run["quality"] = _job_result(c, c.post("/quality/reports", headers=steward), steward)
    dataset = _ok(
        c.post("/catalog/datasets", headers=steward,
               json={"title": "Synthea sample", "description": "FHIR R4", "publisher": "demo"}),
        201,
    )  # fmt: skip
    run["dataset"] = dataset

    # 4. consent: objectors recorded by the steward; one patient uses the portal
    sources = source_patient_ids(SAMPLE)
    runner = c.app.state.runner  # type: ignore[attr-defined]
    objectors = [runner.call_sync(lambda n, s=s: n.person_id(s)) for s in sources[::OBJECTOR_EVERY]]
    events = [
        {"person_id": p, "purpose": "research", "kind": "objection", "effective": str(today())}
        for p in objectors
    ]
    _ok(c.post("/consent/events", json={"events": events}, headers=steward), 201)
    body = {"username": "patient-1", "password": PASSWORD, "roles": ["patient"],
            "patient_source_id": sources[1]}  # fmt: skip
    run["patient_user"] = _ok(c.post("/users", json=body, headers=admin), 201)
    run["patient"] = sign_in(c, "patient-1")
    body = {"username": "objector", "password": PASSWORD, "roles": ["patient"],
            "patient_source_id": sources[0]}  # fmt: skip
    _ok(c.post("/users", json=body, headers=admin), 201)
    run["objector"] = sign_in(c, "objector")
    run["objectors"] = objectors

    # 5. request, checks, committee, grant
    request = {
        "title": "Stress and cardiovascular risk", "sponsor": "University hospital",
        "purpose": "research", "public_interest": "Earlier detection of hypertension.",
        "dataset_id": dataset["id"], "output_types": ["aggregates", "model_training"],
        "variables": [{"table": t, "column": col, "justification": j} for t, col, j in VARIABLES],
        "team": [{"name": "alice", "role": "principal_investigator"},
                 {"name": "carol", "role": "statistician"}],
    }  # fmt: skip
    req = _ok(c.post("/requests", json=request, headers=alice), 201)
    run["request"] = req
    run["submission"] = _ok(c.post(f"/requests/{req['id']}/submission", headers=alice))
    _ok(c.post(f"/requests/{req['id']}/review", headers=chair))
    member = {"name": "chair", "expertise": "epidemiology"}
    _ok(c.post("/committee/members", json=member, headers=admin), 201)
    scores = {name: 4 for name in load_criteria().criteria}
    review = {"scores": scores, "summary": "Clear benefit, proportionate request."}
    _ok(c.post(f"/requests/{req['id']}/reviews", json=review, headers=chair), 201)
    again = c.post(f"/requests/{req['id']}/reviews", json=review, headers=chair)
    assert again.status_code == 422, again.text  # one review per member per round
    decision = {
        "outcome": "approved",
        "reviewers": ["chair"],
        "reasons": "Proportionate.",
    }
    _ok(c.post(f"/requests/{req['id']}/decision", json=decision, headers=chair))
    expires = str(today() + timedelta(days=365))
    grant = _ok(
        c.post(f"/requests/{req['id']}/grant", json={"expires": expires, "dp_epsilon": 1.0},
               headers=chair), 201,
    )  # fmt: skip
    run["grant"] = grant

    # 6-7. workspace and model
    counts = {"condition": DEMO_CONDITION, "dims": ["sex"]}
    run["release"] = _ok(
        c.post(f"/workspaces/{grant['id']}/condition-counts", json=counts, headers=alice), 201
    )
    run["bob_counts"] = c.post(
        f"/workspaces/{grant['id']}/condition-counts", json=counts, headers=bob
    )
    # 6b. the release desk: two output checkers approve; then the team may download
    oc1, oc2 = sign_in(c, "oc1"), sign_in(c, "oc2")
    for name in ("oc1", "oc2"):
        _ok(c.post("/output-checkers", json={"name": name}, headers=admin), 201)
    out = run["release"]["id"]
    run["early_file"] = c.get(
        f"/output-requests/{out}/files/{run['release']['items'][0]['name']}", headers=alice
    )
    run["alice_self_review"] = c.post(
        f"/output-requests/{out}/reviews", json={"decision": "approved"}, headers=alice
    )
    run["queue"] = _ok(c.get("/output-requests?state=submitted", headers=oc1))
    _ok(c.post(f"/output-requests/{out}/reviews", json={"decision": "approved"}, headers=oc1), 201)
    run["released"] = _ok(
        c.post(f"/output-requests/{out}/reviews", json={"decision": "approved", "reasons": "ok"},
               headers=oc2), 201,
    )  # fmt: skip
    run["bob_list"] = _ok(c.get("/output-requests", headers=bob))
    run["bob_get"] = c.get(f"/output-requests/{out}", headers=bob)
    run["ledger"] = _ok(
        c.get(f"/projects/{run['released']['project']}/ledger", params={"limit": 500}, headers=oc1)
    )["items"]
    name = run["released"]["items"][0]["name"]
    run["file"] = c.get(f"/output-requests/{out}/files/{name}", headers=alice)
    run["dp"] = _ok(
        c.post(f"/workspaces/{grant['id']}/dp-counts", json={"condition": DEMO_CONDITION, "epsilon": 0.5},
               headers=alice), 201,
    )  # fmt: skip
    run["budget"] = _ok(c.get(f"/grants/{grant['id']}/privacy-budget", headers=alice))
    run["overspend"] = c.post(
        f"/workspaces/{grant['id']}/dp-counts",
        json={"condition": DEMO_CONDITION, "epsilon": 0.6},
        headers=alice,
    )
    model = _job_result(c, c.post("/models", json={"grant_id": grant["id"]}, headers=alice), alice)
    run["bob_train"] = c.post("/models", json={"grant_id": grant["id"]}, headers=bob)
    run["model"] = model

    # 8. human guarantee: no prediction before the committee validates and the college deploys
    pred = {"model_id": model["id"], "patient": "person-demo-1", "care_context": "gp-clinic",
            "inputs": INPUTS}  # fmt: skip
    run["undeployed"] = c.post("/predictions", json=pred, headers=house)
    college = sign_in(c, "college")
    run["college"] = college
    stage = {"stage": "validated", "reason": "Evaluation and documents read."}
    run["alice_validates"] = c.post(f"/models/{model['id']}/stage", json=stage, headers=alice)
    run["validated"] = _ok(c.post(f"/models/{model['id']}/stage", json=stage, headers=chair))
    _ok(c.post("/college/members", json={"name": "college", "expertise": "AI"}, headers=admin), 201)
    deploy = {"model_id": model["id"], "decision": "deploy", "reason": "Supervised use."}
    _ok(c.post("/college/decisions", json=deploy, headers=college), 201)
    first = _ok(c.post("/predictions", json=pred, headers=house), 201)
    run["first"] = first
    run["grey_create"] = c.post("/predictions", json=pred, headers=grey)
    run["grey_read"] = c.get(f"/predictions/{first['id']}", headers=grey)
    verdict = {"decision": "accepted", "reason": "Consistent with the recent trend.",
               "reason_code": "consistent"}  # fmt: skip
    run["decided"] = _ok(
        c.post(f"/predictions/{first['id']}/decision", json=verdict, headers=house)
    )
    run["again"] = c.post(f"/predictions/{first['id']}/decision", json=verdict, headers=house)
    run["second"] = _ok(c.post("/predictions", json=pred, headers=house), 201)
    run["status"] = _ok(c.get("/guarantee/status", headers=auditor))
    return run


def test_load_through_the_api_reconciles(lifecycle: dict[str, Any]) -> None:
    load = lifecycle["load"]
    assert load["files"] == len(list(SAMPLE.iterdir())) and load["persons"] == 50
    assert load["read"] == load["loaded"] + load["quarantined"] + load["skipped"]
    assert lifecycle["quality"]["row_counts"]["person"] == 50


def test_a_job_is_seen_only_by_who_started_it(lifecycle: dict[str, Any]) -> None:
    other = lifecycle["load_job_seen_by_alice"]
    assert other.status_code == 404 and "no job" in other.json()["detail"]


def test_training_under_another_project_grant_is_refused_before_any_job(
    lifecycle: dict[str, Any],
) -> None:
    assert lifecycle["bob_train"].status_code == 403


def test_request_passes_checks_and_grant_is_scoped(lifecycle: dict[str, Any]) -> None:
    assert lifecycle["request"]["team"] == [
        {"name": "alice", "role": "principal_investigator"},
        {"name": "carol", "role": "statistician"},
    ]
    assert lifecycle["submission"]["state"] == "checked"
    assert all(ch["passed"] for ch in lifecycle["submission"]["checks"])
    assert lifecycle["grant"]["columns"]["person"] == ["year_of_birth", "gender_concept_id"]


def test_release_is_checked_and_only_team_members_reach_the_workspace(
    lifecycle: dict[str, Any],
) -> None:
    release = lifecycle["release"]
    assert release["state"] == "submitted"
    [item] = release["items"]
    assert item["columns"] == ["sex", "persons"]
    assert item["rows"] is None  # nothing leaves before the checkers approve
    assert {c["name"] for c in item["checks"]} >= {"threshold", "zeros", "differencing"}
    bob = lifecycle["bob_counts"]
    assert bob.status_code == 403
    assert "not issued to a project of yours" in bob.json()["detail"]


def test_outputs_leave_only_after_two_output_checkers_approve(lifecycle: dict[str, Any]) -> None:
    assert lifecycle["early_file"].status_code == 403
    assert lifecycle["alice_self_review"].status_code == 403  # not an output checker
    assert lifecycle["release"]["id"] in {r["id"] for r in lifecycle["queue"]["items"]}
    released = lifecycle["released"]
    assert released["state"] == "released"
    assert [r["checker"] for r in released["reviews"]] == ["oc1", "oc2"]
    file = lifecycle["file"]
    assert file.status_code == 200
    lines = file.text.splitlines()
    assert lines[0] == "sex,persons"
    for line in lines[1:]:
        value = line.split(",")[1]
        assert value == "suppressed" or (int(value) >= 10 and int(value) % 5 == 0)
    assert hashlib.sha256(file.content).hexdigest() == released["items"][0]["sha256"]


def test_other_projects_and_the_ledger_show_no_more_than_was_released(
    lifecycle: dict[str, Any],
) -> None:
    assert lifecycle["bob_list"]["total"] == 0
    assert lifecycle["bob_get"].status_code == 403
    ledger = lifecycle["ledger"]
    assert ledger and all(
        set(e) == {"release_id", "population", "dims", "labels", "released_value"} for e in ledger
    )
    released = {tuple(row[:-1]): row[-1] for row in lifecycle["released"]["items"][0]["rows"]}
    assert {tuple(e["labels"]): e["released_value"] for e in ledger} == released


def test_dp_count_spends_the_budget_the_committee_granted(lifecycle: dict[str, Any]) -> None:
    assert lifecycle["dp"]["items"][0]["kind"] == "dp_count"
    budget = lifecycle["budget"]
    assert budget["epsilon"] == 1.0
    assert abs(budget["spent_epsilon"] - 0.5) < 1e-3
    assert lifecycle["overspend"].status_code == 409
    assert "budget is spent" in lifecycle["overspend"].json()["detail"]


def test_clinicians_reach_only_their_care_context(lifecycle: dict[str, Any]) -> None:
    assert lifecycle["first"]["status"] == "pending"
    assert lifecycle["decided"]["status"] == "accepted"
    assert lifecycle["decided"]["decided_by"] == "dr.house"
    assert lifecycle["grey_create"].status_code == 403
    assert lifecycle["grey_read"].status_code == 403
    assert lifecycle["again"].status_code == 422
    assert "already accepted" in lifecycle["again"].json()["detail"]
    assert lifecycle["status"] == {"pending": 1, "accepted": 1, "amended": 0, "rejected": 0}


def test_patient_sees_and_changes_only_their_own_consent(lifecycle: dict[str, Any]) -> None:
    c, patient = lifecycle["client"], lifecycle["patient"]
    person_id = lifecycle["patient_user"]["person_id"]
    mine = _ok(c.get("/consent/me", headers=patient))
    assert mine["person_id"] == person_id
    assert {s["purpose"]: s["included"] for s in mine["states"]}["research"] is True
    after = _ok(
        c.post("/consent/me/choices", json={"purpose": "ai_training", "kind": "objection"},
               headers=patient)
    )  # fmt: skip
    assert {s["purpose"]: s["included"] for s in after["states"]}["ai_training"] is False
    assert after["history"]["total"] == 1
    audited = _ok(c.get("/audit/events?actor=patient-1", headers=lifecycle["auditor"]))
    assert "consent.record" in {e["action"] for e in audited["items"]}
    other = lifecycle["objectors"][0]
    assert c.get(f"/consent/persons/{other}", headers=patient).status_code == 403
    assert (
        c.get(f"/consent/check?person_id={other}&purpose=research", headers=patient).status_code
        == 403
    )


def test_patient_sees_which_approved_projects_used_their_data(lifecycle: dict[str, Any]) -> None:
    c = lifecycle["client"]
    uses = _ok(c.get("/consent/me/uses", headers=lifecycle["patient"]))
    assert [u["grant_id"] for u in uses["items"]] == [lifecycle["grant"]["id"]]
    assert uses["items"][0]["title"] == "Stress and cardiovascular risk"
    # the release and the model's training set
    assert {"aggregates", "model_training"} <= set(uses["items"][0]["output_types"])
    objector = _ok(c.get("/consent/me/uses", headers=lifecycle["objector"]))
    assert objector == {"items": [], "total": 0, "limit": 50, "offset": 0}


def test_every_state_change_is_audited_with_the_authenticated_actor(
    lifecycle: dict[str, Any],
) -> None:
    c, auditor = lifecycle["client"], lifecycle["auditor"]
    verification = _ok(c.get("/audit/verification", headers=auditor))
    assert verification["events"] > 20

    def actions(actor: str) -> set[str]:
        page = _ok(c.get(f"/audit/events?actor={actor}&limit=500", headers=auditor))
        assert page["total"] == len(page["items"])
        return {e["action"] for e in page["items"]}

    assert {"warehouse.load", "quality.report", "catalog.register", "consent.record"} <= actions(
        "steward"
    )
    assert {"request.create", "request.submitted", "workspace.release", "model.train"} <= actions(
        "alice"
    )
    assert {"release.approved"} <= actions("oc1")
    assert {"request.in_review", "request.approved", "grant.issue"} <= actions("chair")
    assert {"prediction.create", "prediction.accepted"} <= actions("dr.house")
    assert {"user.create"} <= actions("admin")


def test_audit_events_paginate_and_filter(lifecycle: dict[str, Any]) -> None:
    c, auditor = lifecycle["client"], lifecycle["auditor"]
    first = _ok(c.get("/audit/events?limit=5&offset=0", headers=auditor))
    second = _ok(c.get("/audit/events?limit=5&offset=5", headers=auditor))
    assert len(first["items"]) == 5 and first["total"] == second["total"] > 10
    assert [e["seq"] for e in first["items"] + second["items"]] == list(range(1, 11))
    loads = _ok(c.get("/audit/events?action=warehouse.load", headers=auditor))
    assert loads["total"] == 1


def test_errors_are_problem_json_a_person_can_act_on(lifecycle: dict[str, Any]) -> None:
    c, alice = lifecycle["client"], lifecycle["alice"]
    missing = c.get("/requests/req-nope", headers=alice)
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.json()["detail"] == "no request 'req-nope'"
    bad = c.post("/requests", json={"title": ""}, headers=alice)
    assert bad.status_code == 422 and "body.title" in bad.json()["detail"]
    wrong = c.post("/auth/token", json={"username": "alice", "password": "wrong password"})
    assert wrong.status_code == 401 and wrong.json()["detail"] == "unknown user or wrong password"
    outside = c.post("/ingest/loads", json={"path": "../../etc"}, headers=sign_in(c, "steward"))
    assert outside.status_code == 422 and "outside the import directory" in outside.json()["detail"]


def test_a_model_predicts_only_once_validated_and_deployed_by_decision(
    lifecycle: dict[str, Any],
) -> None:
    undeployed = lifecycle["undeployed"]
    assert undeployed.status_code == 409, undeployed.text
    assert "makes no prediction: it is development" in undeployed.json()["detail"]
    assert lifecycle["alice_validates"].status_code == 403  # a researcher is not the committee
    assert lifecycle["validated"]["stage"] == "validated"
    first = lifecycle["first"]
    assert first["model_version"].startswith("hypertension-5y v")
    assert len(first["notice_version"]) == 64 and first["notice"].endswith("/notice-en")
    assert lifecycle["decided"]["reason_code"] == "consistent"
    c, college, auditor = lifecycle["client"], lifecycle["college"], lifecycle["auditor"]
    model_id = first["model_id"]
    notice = c.get(f"/models/{model_id}/documents/notice-fr", headers=lifecycle["alice"])
    assert notice.status_code == 200 and "Usage prévu" in notice.text
    bundle = c.get(f"/guarantee/models/{model_id}/fhir", headers=auditor).json()
    assert [e["resource"]["resourceType"] for e in bundle["entry"]] == [
        "RiskAssessment", "Provenance", "Basic",
    ]  # fmt: skip
    monitoring = c.post(f"/guarantee/models/{model_id}/monitoring", headers=college).json()
    assert monitoring["predictions"] == 2 and monitoring["decided"] == 1
    suspend = {"model_id": model_id, "decision": "suspend", "reason": "Review of a drift alert."}
    assert c.post("/college/decisions", json=suspend, headers=college).status_code == 201
    pred = {"model_id": model_id, "patient": "p", "care_context": "gp-clinic", "inputs": INPUTS}
    refused = c.post("/predictions", json=pred, headers=lifecycle["house"])
    assert refused.status_code == 409
    assert "suspended since" in refused.json()["detail"]
    assert "Review of a drift alert" in refused.json()["detail"]
