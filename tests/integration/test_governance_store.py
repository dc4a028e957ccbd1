"""One contract suite for the governance store, run on SQLite and on a real PostgreSQL server:
the audit chain, consent events, access-request transitions and API user accounts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import orjson
import pytest
from sqlalchemy import text

from socle.api import AuthenticationError, Role, UserExistsError, UserStore
from socle.audit import TamperedLogError
from socle.config import Settings
from socle.consent import ConsentError, ConsentEvent
from socle.governance import GrantError, TransitionError
from socle.node import Node
from tests.conftest import SAMPLE
from tests.helpers import approved_grant, make_request, today
from tests.unit.observatory_helpers import REVIEWER, publish, study, tool


@pytest.fixture
def store_node(tmp_path: Path, governance_url: str) -> Iterator[Node]:
    node = Node.open(Settings(home=tmp_path / "home", governance_url=governance_url))
    yield node
    node.close()


def test_store_runs_on_the_requested_backend(store_node: Node, governance_url: str) -> None:
    assert store_node.engine.dialect.name == governance_url.split(":")[0].split("+")[0]


def test_audit_chain_verifies_and_detects_an_altered_event(store_node: Node) -> None:
    for i in range(4):
        store_node.audit.record(actor=f"u{i}", role="auditor", action="test.step", object=f"o{i}")
    assert store_node.audit.verify().events == 4
    with store_node.engine.begin() as conn:
        conn.execute(text("UPDATE audit_event SET actor = 'mallory' WHERE seq = 2"))
    with pytest.raises(TamperedLogError, match=r"event #2 .*altered"):
        store_node.audit.verify()


def test_consent_events_derive_state_and_filter(store_node: Node) -> None:
    person = 2**62 + 17  # pseudonymous ids use the full 63-bit range
    yesterday = today() - timedelta(days=1)
    store_node.consent.record(
        [ConsentEvent(person, "research", "objection", yesterday, "portal", "patient")],
        actor="portal", role="patient",
    )  # fmt: skip
    assert store_node.consent.state(person, "research", today()) is False
    assert store_node.consent.state(person, "research", yesterday - timedelta(days=1)) is True
    store_node.consent.record(
        [ConsentEvent(person, "research", "withdraw_objection", today(), "portal", "patient")],
        actor="portal", role="patient",
    )  # fmt: skip
    assert store_node.consent.state(person, "research", today()) is True
    assert [e.kind for e in store_node.consent.history(person)] == [
        "objection",
        "withdraw_objection",
    ]
    assert person not in store_node.consent.person_filter("research", today()).excluded_person_ids


def test_consent_batch_is_all_or_nothing(store_node: Node) -> None:
    good = ConsentEvent(5, "research", "objection", today(), "portal", "patient")
    bad = ConsentEvent(6, "no_such_purpose", "objection", today(), "portal", "patient")
    with pytest.raises(ConsentError):
        store_node.consent.record([good, bad], actor="portal", role="patient")
    assert store_node.consent.history(5) == []


def test_request_transitions_are_enforced_and_audited(store_node: Node) -> None:
    store_node.load(sorted(SAMPLE.glob("*.json.gz"))[0], actor="steward")
    grant_id = approved_grant(store_node)
    grant = store_node.governance.grant(grant_id)
    with pytest.raises(TransitionError, match="cannot become 'in_review'"):
        store_node.governance.start_review(grant.request_id, actor="chair")
    store_node.governance.revoke_grant(grant_id, actor="chair", reason="test")
    with pytest.raises(GrantError, match="revoked"):
        store_node.governance.grant_scope(grant_id, today(), "aggregates")
    actions = [e.action for e in store_node.audit.events()]
    assert [
        a for a in actions if a.startswith(("request.", "grant.issue"))
    ][:7] == ["request.create", "request.submitted", "request.checked", "request.in_review",
            "request.approved", "request.active", "grant.issue"]  # fmt: skip
    assert store_node.audit.verify().events == len(actions)


def test_draft_request_cannot_be_decided(store_node: Node) -> None:
    store_node.load(sorted(SAMPLE.glob("*.json.gz"))[0], actor="steward")
    dataset = store_node.catalog.register(
        store_node.warehouse, title="t", description="d", publisher="p", actor="steward"
    )
    request_id = store_node.governance.create(make_request(store_node, dataset.id), actor="r")
    with pytest.raises(TransitionError, match="'draft' and cannot become 'approved'"):
        store_node.governance.decide(
            request_id, "approved", reviewers=["chair"], reasons="r", actor="chair"
        )


def test_user_accounts_hash_passwords_and_refuse_duplicates(store_node: Node) -> None:
    users = UserStore(store_node.engine, store_node.audit)
    users.create("carol", "a long enough password", frozenset({Role.AUDITOR}), actor="admin")
    assert users.authenticate("carol", "a long enough password").roles == {Role.AUDITOR}
    with pytest.raises(AuthenticationError):
        users.authenticate("carol", "wrong")
    with pytest.raises(UserExistsError):
        users.create("carol", "another password!", frozenset({Role.PATIENT}), actor="admin")
    with store_node.engine.connect() as conn:
        stored = conn.execute(text("SELECT password_hash FROM api_user")).scalar_one()
    assert stored.startswith("$argon2id$") and "long enough" not in stored
    assert [e.action for e in store_node.audit.events("user.create")] == ["user.create"]


def test_documents_and_instants_round_trip_as_objects_on_the_store(store_node: Node) -> None:
    """JSON columns (an observatory entry, a declaration) and timestamp columns (a college
    appointment, a ranking's as-of time) hold objects on this backend and read back equal."""
    entry_id = publish(store_node, tool("Triage AI", evidence=(study(external=True),)))
    declared = store_node.observatory.reviews.declaration_of(REVIEWER)
    assert declared is not None and declared.makers == () and declared.entries == ()
    published = store_node.observatory.registry.published_entries(ids=[entry_id])
    assert [p.data for p in published] == [tool("Triage AI", evidence=(study(external=True),))]
    with store_node.engine.connect() as conn:
        stored = conn.execute(
            text("SELECT data FROM obs_entry_version WHERE entry_id = :e"), {"e": entry_id}
        ).scalar_one()
    document = orjson.loads(stored) if isinstance(stored, str) else stored
    assert document["name"] == "Triage AI" and document["evidence"][0]["external_validation"]
    member = store_node.college.appoint("Dr College", expertise="cardiology", actor="admin")
    assert store_node.college.members() == [member]
    assert datetime.fromisoformat(member.appointed_at).tzinfo is not None
    rankings = store_node.observatory.rankings
    rankings.ensure_method(actor=REVIEWER, role="observatory_reviewer")
    ranking = rankings.top("prediction", as_of="2099-01-01")
    rankings.record(ranking, actor=REVIEWER, role="observatory_reviewer")
    assert rankings.verify_recorded() == [("prediction", 1, "2099-01-01T23:59:59+00:00", True)]
