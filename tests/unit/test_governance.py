"""Access governance: automatic checks, state transitions, grants that scope and expire."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import update

from socle.governance import GrantError, TransitionError
from socle.governance.tables import access_grant
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
        loaded.workspace.condition_counts(grant_id, "SNOMED|73595000", actor="researcher")


def test_revoked_grant_stops_access_immediately(loaded: Node) -> None:
    grant_id = approved_grant(loaded)
    loaded.workspace.condition_counts(grant_id, "SNOMED|73595000", ("sex",), actor="researcher")
    loaded.governance.revoke_grant(grant_id, actor="chair", reason="breach of conditions")
    with pytest.raises(GrantError, match="revoked"):
        loaded.workspace.condition_counts(grant_id, "SNOMED|73595000", ("sex",), actor="researcher")


def test_expired_grant_stops_access(loaded: Node) -> None:
    grant_id = approved_grant(loaded)
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    with loaded.engine.begin() as conn:
        conn.execute(
            update(access_grant).where(access_grant.c.id == grant_id).values(expires=yesterday)
        )
    with pytest.raises(GrantError, match="expired"):
        loaded.workspace.condition_counts(grant_id, "SNOMED|73595000", ("sex",), actor="researcher")


def test_grant_limits_output_types(loaded: Node) -> None:
    grant_id = approved_grant(loaded)
    with pytest.raises(GrantError, match="not model_training"):
        loaded.models.train(loaded.workspace, grant_id, actor="researcher")


def test_every_transition_is_audited(loaded: Node) -> None:
    approved_grant(loaded)
    actions = [e.action for e in loaded.audit.events()]
    for expected in ("request.create", "request.submitted", "request.checked", "request.in_review",
                     "request.approved", "request.active", "grant.issue"):  # fmt: skip
        assert expected in actions


def test_expired_grant_moves_its_request_to_expired_and_nothing_restarts_it(loaded: Node) -> None:
    grant_id = approved_grant(loaded)
    grant = loaded.governance.grant(grant_id)
    assert loaded.governance.expire_due(on=grant.expires) == []  # valid through its last day
    later = grant.expires + timedelta(days=1)
    assert loaded.governance.expire_due(on=later, actor="scheduler") == [grant.request_id]
    assert loaded.governance.request(grant.request_id)[1] == "expired"
    with pytest.raises(TransitionError, match="'expired' and cannot become 'active'"):
        loaded.governance.issue_grant(grant.request_id, expires=later, actor="chair")
    with pytest.raises(GrantError, match="expired"):
        loaded.governance.grant_scope(grant_id, later, "aggregates")
    loaded.governance.close(grant.request_id, actor="chair", reason="project finished")
    assert loaded.governance.request(grant.request_id)[1] == "closed"
    assert [e.action for e in loaded.audit.events()][-2:] == ["request.expired", "request.closed"]


def test_grant_carries_only_the_requested_columns_period_and_purpose(loaded: Node) -> None:
    grant_id = approved_grant(loaded, variables=(("person", "year_of_birth"),))
    scope = loaded.governance.grant_scope(grant_id, datetime.now(UTC).date(), "aggregates")
    assert scope.columns == {"person": ("year_of_birth",)} and scope.purpose == "research"
    with loaded.workspace.session(grant_id, "aggregates", actor="researcher") as ws:
        assert ws.query("SELECT * FROM scoped_person").column_names == [
            "person_id",
            "year_of_birth",
        ]
        with pytest.raises(ScopeError):
            ws.query("SELECT gender_concept_id FROM scoped_person")


def test_incomplete_file_names_each_missing_part(loaded: Node) -> None:
    req = make_request(loaded, _dataset(loaded))
    req = type(req)(**{**req.__dict__, "team": (), "output_types": ("everything",),
                       "period_start": date(2020, 1, 1), "period_end": date(2019, 1, 1)})  # fmt: skip
    rid = loaded.governance.create(req, actor="r")
    reason = {c.name: c for c in loaded.governance.submit(rid, actor="r")}["file_complete"].reason
    assert "team" in reason and "['everything']" in reason and "starts before it ends" in reason
    assert loaded.governance.request(rid)[1] == "rejected"


def test_request_for_a_dataset_not_in_the_catalogue_fails_its_check(loaded: Node) -> None:
    rid = loaded.governance.create(make_request(loaded, "no-such-dataset"), actor="r")
    checks = {c.name: c for c in loaded.governance.submit(rid, actor="r")}
    assert checks["variables_in_catalogue"].reason == (
        "dataset 'no-such-dataset' is not in the catalogue"
    )


def test_population_criteria_are_kept_with_the_request(loaded: Node) -> None:
    req = make_request(loaded, _dataset(loaded))
    req = type(req)(**{**req.__dict__, "population_criteria": "adults, 5 years of follow-up"})
    rid = loaded.governance.create(req, actor="r")
    assert loaded.governance.request(rid)[0].population_criteria == "adults, 5 years of follow-up"
