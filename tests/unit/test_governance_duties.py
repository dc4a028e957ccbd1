"""Governance that cannot be bypassed: grants come only from decisions, only appointed members
review and decide, and nobody on a project's team (or with a declared conflict) takes part."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from socle.api import Role
from socle.governance import (
    ConflictOfInterestError,
    NotAppointedError,
    ReviewError,
    SeparationOfDutiesError,
    TeamMember,
    TransitionError,
)
from socle.node import Node
from tests.apiclient import add_user, api_client, sign_in
from tests.helpers import approved_grant, make_request, review_favourably, today

SCORES = dict.fromkeys(
    ("expected_benefit", "feasibility", "team_capacity", "innovative_use", "data_sharing",
     "proportionality"), 4,
)  # fmt: skip


def _in_review(node: Node, team: tuple[TeamMember, ...] | None = None) -> str:
    dataset = node.catalog.register(
        node.warehouse, title="t", description="d", publisher="p", actor="steward"
    )
    request = make_request(node, dataset.id)
    if team is not None:
        request = type(request)(**{**request.__dict__, "team": team})
    rid = node.governance.create(request, actor="researcher")
    assert all(c.passed for c in node.governance.submit(rid, actor="researcher"))
    node.governance.start_review(rid, actor="chair")
    return rid


# -- 8. after revocation, only a new decision issues a grant --------------------------------


def test_revoked_grant_cannot_be_issued_again_without_a_new_decision(loaded: Node) -> None:
    grant_id = approved_grant(loaded)
    request_id = loaded.governance.grant(grant_id).request_id
    loaded.governance.revoke_grant(grant_id, actor="chair", reason="breach of conditions")
    with pytest.raises(TransitionError, match="issued only once, from a committee decision"):
        loaded.governance.issue_grant(
            request_id, expires=today() + timedelta(days=9), actor="chair"
        )
    assert loaded.governance.request(request_id)[1] == "suspended"
    assert loaded.governance.grant(grant_id).revoked


def test_after_revocation_a_new_round_and_decision_issue_a_new_grant(loaded: Node) -> None:
    grant_id = approved_grant(loaded)
    request_id = loaded.governance.grant(grant_id).request_id
    loaded.governance.revoke_grant(grant_id, actor="chair", reason="breach of conditions")
    loaded.governance.start_review(request_id, actor="chair")
    review_favourably(loaded, request_id)
    loaded.governance.decide(request_id, "approved", reasons="Remedied.", actor="chair")
    new = loaded.governance.issue_grant(
        request_id, expires=today() + timedelta(days=9), actor="chair"
    )
    assert new.id != grant_id and loaded.governance.grant(grant_id).revoked
    issued = [e for e in loaded.audit.events("grant.issue") if e.object == new.id]
    assert issued[0].details["decision"] == 2 and issued[0].role == "committee_member"


def test_grant_is_issued_only_by_an_appointed_member(loaded: Node) -> None:
    rid = _in_review(loaded)
    review_favourably(loaded, rid)
    loaded.governance.decide(rid, "approved", reasons="ok", actor="chair")
    with pytest.raises(NotAppointedError, match="'mallory' is not an active appointed"):
        loaded.governance.issue_grant(rid, expires=today() + timedelta(days=9), actor="mallory")
    assert loaded.governance.request(rid)[1] == "approved"


# -- 9. only appointed members review and decide --------------------------------------------


def test_account_never_appointed_cannot_decide(loaded: Node) -> None:
    rid = _in_review(loaded)
    review_favourably(loaded, rid)
    with pytest.raises(NotAppointedError, match="'mallory' is not an active appointed"):
        loaded.governance.decide(rid, "approved", reasons="ok", actor="mallory")
    assert loaded.governance.request(rid)[1] == "in_review"


def test_decision_naming_a_non_existent_reviewer_is_refused(loaded: Node) -> None:
    rid = _in_review(loaded)
    review_favourably(loaded, rid)
    with pytest.raises(NotAppointedError, match="reviewer 'ghost' is not an appointed"):
        loaded.governance.decide(
            rid, "approved", reviewers=["chair", "ghost"], reasons="ok", actor="chair"
        )


def test_decision_naming_a_member_who_did_not_review_this_round_is_refused(
    loaded: Node,
) -> None:
    rid = _in_review(loaded)
    review_favourably(loaded, rid)
    idle = loaded.governance.add_member("idle", expertise="law", actor="admin")
    with pytest.raises(ReviewError, match=f"{idle.id} did not review this round"):
        loaded.governance.decide(
            rid, "approved", reviewers=["chair", "idle"], reasons="ok", actor="chair"
        )


def test_decision_records_the_reviewers_as_member_ids(loaded: Node) -> None:
    rid = _in_review(loaded)
    review_favourably(loaded, rid)
    chair = next(m for m in loaded.governance.members() if m.name == "chair")
    loaded.governance.decide(rid, "approved", reviewers=["chair"], reasons="ok", actor="chair")
    assert loaded.governance.decisions(rid)[-1].reviewers == (chair.id,)


def test_review_is_recorded_only_by_the_member_who_gives_it(loaded: Node) -> None:
    rid = _in_review(loaded)
    alice = loaded.governance.add_member("alice", expertise="ethics", actor="admin")
    with pytest.raises(NotAppointedError, match="'mallory' is not"):
        loaded.governance.review(rid, alice.id, scores=SCORES, summary="Fine.", actor="mallory")
    assert loaded.governance.reviews(rid) == []


# -- 10. separation of duties, in the domain -------------------------------------------------


def test_team_member_who_sits_on_the_committee_cannot_review_their_request(
    loaded: Node,
) -> None:
    team = (TeamMember("researcher", "principal_investigator"), TeamMember("dual", "statistician"))
    rid = _in_review(loaded, team)
    dual = loaded.governance.add_member("dual", expertise="methods", actor="admin")
    with pytest.raises(SeparationOfDutiesError, match=f"{dual.id} is on the team"):
        loaded.governance.review(rid, dual.id, scores=SCORES, summary="Mine.", actor="dual")
    review_favourably(loaded, rid)
    for act in (
        lambda: loaded.governance.decide(rid, "approved", reasons="ok", actor="dual"),
        lambda: loaded.governance.decide(
            rid, "approved", reviewers=["dual"], reasons="ok", actor="chair"
        ),
    ):
        with pytest.raises(SeparationOfDutiesError, match="separation of duties"):
            act()  # type: ignore[no-untyped-call]
    loaded.governance.decide(rid, "approved", reasons="ok", actor="chair")
    with pytest.raises(SeparationOfDutiesError, match="may not issue the grant of"):
        loaded.governance.issue_grant(rid, expires=today() + timedelta(days=9), actor="dual")


def test_the_member_who_filed_a_request_cannot_review_or_decide_it(loaded: Node) -> None:
    dataset = loaded.catalog.register(
        loaded.warehouse, title="t", description="d", publisher="p", actor="steward"
    )
    rid = loaded.governance.create(make_request(loaded, dataset.id), actor="filer")
    loaded.governance.submit(rid, actor="filer")
    loaded.governance.start_review(rid, actor="chair")
    filer = loaded.governance.add_member("filer", expertise="methods", actor="admin")
    with pytest.raises(SeparationOfDutiesError, match=f"{filer.id} is on the team"):
        loaded.governance.review(rid, filer.id, scores=SCORES, summary="Mine.", actor="filer")
    review_favourably(loaded, rid)
    with pytest.raises(SeparationOfDutiesError):
        loaded.governance.decide(rid, "approved", reasons="ok", actor="filer")


def test_member_who_declared_a_conflict_cannot_decide_or_issue(loaded: Node) -> None:
    rid = _in_review(loaded)
    review_favourably(loaded, rid)
    conflicted = loaded.governance.add_member("carol", expertise="law", actor="admin")
    loaded.governance.declare_conflict(
        conflicted.id, request_id=rid, statement="Former colleague of the PI", actor="carol"
    )
    with pytest.raises(ConflictOfInterestError, match="may not decide"):
        loaded.governance.decide(rid, "approved", reasons="ok", actor="carol")
    loaded.governance.decide(rid, "approved", reasons="ok", actor="chair")
    with pytest.raises(ConflictOfInterestError, match="may not issue the grant"):
        loaded.governance.issue_grant(rid, expires=today() + timedelta(days=9), actor="carol")


# -- the same rules through the API ------------------------------------------------------------


@pytest.fixture
def api(tmp_path: Path, small_sample: Path) -> Iterator[TestClient]:
    with api_client(tmp_path / "api-home") as c:
        c.app.state.runner.call_sync(lambda n: n.load(small_sample, actor="steward"))  # type: ignore[attr-defined]
        for name, role in [
            ("alice", Role.RESEARCHER),
            ("chair", Role.COMMITTEE_MEMBER),
            ("mallory", Role.COMMITTEE_MEMBER),
            ("admin", Role.ADMINISTRATOR),
        ]:
            add_user(c, name, {role})  # fmt: skip
        add_user(c, "dual", {Role.RESEARCHER, Role.COMMITTEE_MEMBER})
        yield c


def _api_request(c: TestClient, who: dict[str, str], team: list[dict[str, str]]) -> str:
    def register(n: Node) -> str:
        return n.catalog.register(
            n.warehouse, title="t", description="d", publisher="p", actor="steward"
        ).id

    dataset_id = c.app.state.runner.call_sync(register)  # type: ignore[attr-defined]
    body = {
        "title": "Project", "sponsor": "Sponsor", "purpose": "research",
        "public_interest": "Better care.", "dataset_id": dataset_id,
        "output_types": ["aggregates"], "team": team,
        "variables": [{"table": "person", "column": "year_of_birth",
                       "justification": "Needed to answer the question."}],
    }  # fmt: skip
    rid = str(c.post("/requests", json=body, headers=who).json()["id"])
    assert c.post(f"/requests/{rid}/submission", headers=who).json()["state"] == "checked"
    return rid


def test_api_refuses_a_fresh_grant_after_revocation_from_an_unappointed_account(
    api: TestClient,
) -> None:
    alice, chair, mallory, admin = (sign_in(api, u) for u in ("alice", "chair", "mallory", "admin"))
    rid = _api_request(api, alice, [{"name": "alice", "role": "principal_investigator"}])
    api.post("/committee/members", json={"name": "chair", "expertise": "e"}, headers=admin)
    assert api.post(f"/requests/{rid}/review", headers=chair).status_code == 200
    review = {"scores": SCORES, "summary": "Sound."}
    assert api.post(f"/requests/{rid}/reviews", json=review, headers=chair).status_code == 201
    decision = {"outcome": "approved", "reviewers": ["chair"], "reasons": "Sound."}
    forged = {**decision, "reviewers": ["ghost"]}
    assert api.post(f"/requests/{rid}/decision", json=forged, headers=chair).status_code == 403
    assert api.post(f"/requests/{rid}/decision", json=decision, headers=mallory).status_code == 403
    assert api.post(f"/requests/{rid}/decision", json=decision, headers=chair).status_code == 200
    expires = {"expires": str(today() + timedelta(days=30))}
    assert api.post(f"/requests/{rid}/grant", json=expires, headers=mallory).status_code == 403
    grant = api.post(f"/requests/{rid}/grant", json=expires, headers=chair).json()
    revoked = api.post(
        f"/grants/{grant['id']}/revocation", json={"reason": "breach"}, headers=chair
    )
    assert revoked.json()["revoked"] is True
    again = api.post(f"/requests/{rid}/grant", json=expires, headers=mallory)
    assert again.status_code in (403, 409), again.text
    again = api.post(f"/requests/{rid}/grant", json=expires, headers=chair)
    assert again.status_code == 409 and "new" not in again.json()
    assert api.get(f"/grants/{grant['id']}", headers=chair).json()["revoked"] is True


def test_api_researcher_on_the_committee_cannot_review_or_decide_their_own_request(
    api: TestClient,
) -> None:
    dual, admin, chair = (sign_in(api, u) for u in ("dual", "admin", "chair"))
    rid = _api_request(api, dual, [{"name": "dual", "role": "principal_investigator"}])
    for name in ("dual", "chair"):
        api.post("/committee/members", json={"name": name, "expertise": "e"}, headers=admin)
    api.post(f"/requests/{rid}/review", headers=chair)
    review = {"scores": SCORES, "summary": "Mine, and excellent."}
    own = api.post(f"/requests/{rid}/reviews", json=review, headers=dual)
    assert own.status_code == 403 and "separation of duties" in own.json()["detail"]
    assert api.post(f"/requests/{rid}/reviews", json=review, headers=chair).status_code == 201
    decision = {"outcome": "approved", "reviewers": ["chair"], "reasons": "Sound."}
    assert api.post(f"/requests/{rid}/decision", json=decision, headers=dual).status_code == 403


def test_api_member_declares_a_conflict_and_is_then_barred(api: TestClient) -> None:
    alice, admin, chair = (sign_in(api, u) for u in ("alice", "admin", "chair"))
    rid = _api_request(api, alice, [{"name": "alice", "role": "principal_investigator"}])
    api.post("/committee/members", json={"name": "chair", "expertise": "e"}, headers=admin)
    api.post(f"/requests/{rid}/review", headers=chair)
    declared = api.post(
        "/committee/conflicts", json={"request_id": rid, "statement": "Co-author"}, headers=chair
    )
    assert declared.status_code == 201 and declared.json()["request_id"] == rid
    review = {"scores": SCORES, "summary": "Sound."}
    barred = api.post(f"/requests/{rid}/reviews", json=review, headers=chair)
    assert barred.status_code == 403 and "conflict of interest" in barred.json()["detail"]
    events = api.app.state.runner.call_sync(  # type: ignore[attr-defined]
        lambda n: list(n.audit.events("committee.conflict_declare"))
    )
    assert [(e.actor, e.role) for e in events] == [("chair", "committee_member")]
