"""Access governance: automatic checks, state transitions, grants that scope and expire."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from socle.governance import GrantError, TransitionError
from socle.governance.service import access_grant
from socle.node import Node
from socle.warehouse import ScopeError
from tests.helpers import approved_grant, make_request


def _dataset(node: Node) -> str:
    return node.catalog.register(
        node.warehouse, title="t", description="d", publisher="p", actor="s"
    ).id


def test_forbidden_purpose_is_rejected_with_reason(loaded: Node) -> None:
    rid = loaded.governance.create(
        make_request(loaded, _dataset(loaded), purpose="insurance_risk_selection"), actor="r"
    )
    checks = {c.name: c for c in loaded.governance.submit(rid, actor="r")}
    assert not checks["purpose_allowed"].passed
    assert "forbidden" in checks["purpose_allowed"].reason
    assert loaded.governance.request(rid)[1] == "rejected"


def test_unjustified_or_unknown_variables_fail_the_checks(loaded: Node) -> None:
    req = make_request(
        loaded, _dataset(loaded), variables=(("person", "year_of_birth"), ("person", "shoe_size")),
        justification="because",
    )  # fmt: skip
    rid = loaded.governance.create(req, actor="r")
    checks = {c.name: c for c in loaded.governance.submit(rid, actor="r")}
    assert "person.year_of_birth" in checks["variables_justified"].reason
    assert "person.shoe_size" in checks["variables_in_catalogue"].reason


def test_no_grant_without_committee_approval(loaded: Node) -> None:
    rid = loaded.governance.create(make_request(loaded, _dataset(loaded)), actor="r")
    loaded.governance.submit(rid, actor="r")
    expires = datetime.now(UTC).date() + timedelta(days=10)
    with pytest.raises(TransitionError, match="'checked' and cannot become 'active'"):
        loaded.governance.issue_grant(rid, expires=expires, actor="chair")


def test_ungranted_column_cannot_be_read(loaded: Node) -> None:
    grant_id = approved_grant(loaded, variables=(("person", "year_of_birth"),))
    with pytest.raises(ScopeError, match="does not include"):
        loaded.workspace.condition_counts(grant_id, "SNOMED|73595000", actor="r")


def test_revoked_grant_stops_access_immediately(loaded: Node) -> None:
    grant_id = approved_grant(loaded)
    loaded.workspace.condition_counts(grant_id, "SNOMED|73595000", ("sex",), actor="r")
    loaded.governance.revoke_grant(grant_id, actor="chair", reason="breach of conditions")
    with pytest.raises(GrantError, match="revoked"):
        loaded.workspace.condition_counts(grant_id, "SNOMED|73595000", ("sex",), actor="r")


def test_expired_grant_stops_access(loaded: Node) -> None:
    grant_id = approved_grant(loaded)
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    with loaded.engine.begin() as conn:
        conn.execute(
            update(access_grant).where(access_grant.c.id == grant_id).values(expires=yesterday)
        )
    with pytest.raises(GrantError, match="expired"):
        loaded.workspace.condition_counts(grant_id, "SNOMED|73595000", ("sex",), actor="r")


def test_grant_limits_output_types(loaded: Node) -> None:
    grant_id = approved_grant(loaded)
    with pytest.raises(GrantError, match="not model_training"):
        loaded.models.train(loaded.workspace, grant_id, actor="r")


def test_every_transition_is_audited(loaded: Node) -> None:
    approved_grant(loaded)
    actions = [e.action for e in loaded.audit.events()]
    for expected in ("request.create", "request.submitted", "request.checked", "request.in_review",
                     "request.approved", "request.active", "grant.issue"):  # fmt: skip
        assert expected in actions
