"""The release desk: two independent checkers, separation of duties, hashes, the ledger, DP."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest

from socle.governance import GrantError
from socle.node import Node
from socle.release import (
    BudgetError,
    DeskError,
    Output,
    Population,
    Regression,
    counts_table,
    dp_count,
)
from tests.helpers import approved_grant, review_favourably, today

ALL = Population("persons with diabetes, all practices", 200)


def _table(
    rows: list[tuple[str, str, int]], population: Population = ALL, name: str = "by_age_sex"
) -> Output:
    return Output(
        name, "frequency_table", counts_table(["age_band", "sex"], rows), population, {"job": "j1"}
    )


ROWS = [("18-44", "F", 40), ("18-44", "M", 35), ("45-64", "F", 60), ("45-64", "M", 65)]


@pytest.fixture
def desk_node(loaded: Node) -> Node:
    for name in ("checker1", "checker2", "checker3"):
        loaded.desk.appoint_checker(name, actor="admin")
    return loaded


def test_release_needs_two_independent_approvals(desk_node: Node) -> None:
    grant_id = approved_grant(desk_node)
    req = desk_node.desk.request(
        grant_id, [_table(ROWS)], description="diabetes", actor="researcher"
    )
    assert req.state == "submitted" and req.folder is None
    assert (
        desk_node.desk.review(req.id, "approved", reasons="", actor="checker1").state == "in_review"
    )
    released = desk_node.desk.review(req.id, "approved", reasons="ok", actor="checker2")
    assert released.state == "released" and released.folder is not None
    data = (released.folder / "by_age_sex.csv").read_bytes()
    assert released.items[0].sha256 == hashlib.sha256(data).hexdigest()
    [event] = list(desk_node.audit.events("release.released"))
    assert event.details["files"] == {"by_age_sex": released.items[0].sha256}
    assert event.details["checkers"] == ["checker1", "checker2"]
    assert {e.role for e in desk_node.audit.events("release.approved")} == {"output_checker"}


def test_request_is_audited_with_the_requesters_team_role(desk_node: Node) -> None:
    grant_id = approved_grant(desk_node)
    req = desk_node.desk.request(grant_id, [_table(ROWS)], description="d", actor="researcher")
    [event] = [e for e in desk_node.audit.events("release.request") if e.object == req.id]
    assert (event.actor, event.role) == ("researcher", "principal_investigator")


def test_someone_off_the_team_cannot_ask_for_release(desk_node: Node) -> None:
    grant_id = approved_grant(desk_node)
    with pytest.raises(DeskError, match="not on the team"):
        desk_node.desk.request(grant_id, [_table(ROWS)], description="d", actor="stranger")
    with pytest.raises(DeskError, match="not on the team"):
        desk_node.desk.request_dp(
            grant_id, "n", dp_count(["p"] * 50, 0.1, confidence=0.95), description="c",
            actor="stranger", population=ALL,
        )  # fmt: skip
    assert not list(desk_node.audit.events("release.request"))


def test_requester_team_members_and_strangers_cannot_check(desk_node: Node) -> None:
    grant_id = approved_grant(desk_node)
    req = desk_node.desk.request(grant_id, [_table(ROWS)], description="d", actor="researcher")
    desk_node.desk.appoint_checker("researcher", actor="admin")  # on the project's team
    with pytest.raises(DeskError, match="independent"):
        desk_node.desk.review(req.id, "approved", reasons="", actor="researcher")
    with pytest.raises(DeskError, match="not an appointed output checker"):
        desk_node.desk.review(req.id, "approved", reasons="", actor="someone")
    desk_node.desk.review(req.id, "approved", reasons="", actor="checker1")
    with pytest.raises(DeskError, match="already reviewed"):
        desk_node.desk.review(req.id, "approved", reasons="", actor="checker1")


def test_rejection_needs_reasons_and_stops_the_request(desk_node: Node) -> None:
    grant_id = approved_grant(desk_node)
    req = desk_node.desk.request(grant_id, [_table(ROWS)], description="d", actor="researcher")
    with pytest.raises(DeskError, match="must give its reasons"):
        desk_node.desk.review(req.id, "rejected", reasons=" ", actor="checker1")
    done = desk_node.desk.review(req.id, "rejected", reasons="linked to rel-1", actor="checker1")
    assert done.state == "rejected" and done.folder is None
    with pytest.raises(DeskError, match="takes no more reviews"):
        desk_node.desk.review(req.id, "approved", reasons="", actor="checker2")
    assert not (desk_node.settings.reports_dir / "releases" / req.id).exists()


def test_failing_output_is_stopped_with_its_reason_unless_an_exception_is_asked(
    desk_node: Node,
) -> None:
    grant_id = approved_grant(desk_node)
    reg = Regression("logit", ("term", "coef"), (("age", 0.03),), 6, 9)
    model = Output("model", "regression", reg, ALL)
    with pytest.raises(DeskError, match="residual degrees of freedom 6 < 10"):
        desk_node.desk.request(grant_id, [model], description="d", actor="researcher")
    req = desk_node.desk.request(
        grant_id, [model], description="d", actor="researcher",
        exceptions={"model": "Coefficients of a pre-registered model; no individual recoverable."},
    )  # fmt: skip
    assert req.items[0].status == "fail" and req.items[0].exception


def test_checker_sees_the_projects_earlier_releases(desk_node: Node) -> None:
    grant_id = approved_grant(desk_node)
    first = desk_node.desk.request(grant_id, [_table(ROWS)], description="one", actor="researcher")
    for c in ("checker1", "checker2"):
        desk_node.desk.review(first.id, "approved", reasons="", actor=c)
    second = desk_node.desk.request(
        grant_id, [_table(ROWS, name="again")], description="two", actor="researcher"
    )
    assert [r.id for r in desk_node.desk.history(second.id)] == [first.id]
    assert len(desk_node.desk.ledger(first.project)) == 9  # 4 cells + 4 margins + total


# -- differencing: the classic attacks ------------------------------------------------------


def _release(node: Node, grant_id: str, output: Output) -> None:
    req = node.desk.request(grant_id, [output], description=output.name, actor="researcher")
    for c in ("checker1", "checker2"):
        node.desk.review(req.id, "approved", reasons="", actor=c)


def _differencing(node: Node, grant_id: str, output: Output) -> dict[str, object]:
    grant = node.governance.grant(grant_id)
    report = node.desk.check(output, project=grant.request_id)
    return next(c for c in report.checks if c.name == "differencing").as_dict()


def test_same_table_with_one_small_group_dropped_is_caught(desk_node: Node) -> None:
    grant_id = approved_grant(desk_node)
    _release(desk_node, grant_id, _table(ROWS))
    # The same table without one practice of 3 women aged 45-64.
    fewer = [("18-44", "F", 40), ("18-44", "M", 35), ("45-64", "F", 57), ("45-64", "M", 65)]
    found = _differencing(
        desk_node, grant_id, _table(fewer, Population("diabetes, without practice P7", 197))
    )
    assert found["status"] == "review"
    assert "differs from this one by fewer than 10" in str(found["reason"])
    assert "age_band=45-64, sex=F" in str(found["reason"])


def test_nested_age_bands_are_caught(desk_node: Node) -> None:
    grant_id = approved_grant(desk_node)
    _release(desk_node, grant_id, _table(ROWS))
    rebanded = [("18-39", "F", 36), ("18-39", "M", 35), ("45-64", "F", 60), ("45-64", "M", 65)]
    found = _differencing(desk_node, grant_id, _table(rebanded, Population(ALL.definition, 200)))
    assert found["status"] == "review"
    assert "band 18-39 here and 18-44" in str(found["reason"])


def test_total_minus_published_cells_is_caught(desk_node: Node) -> None:
    grant_id = approved_grant(desk_node)
    # First: age x sex published without totals: (18-44, F) = 4 is suppressed alone.
    rows = [("18-44", "F", 4), ("18-44", "M", 35), ("45-64", "F", 60), ("45-64", "M", 65)]
    no_totals = Output(
        "cells",
        "frequency_table",
        counts_table(["age_band", "sex"], rows, margins=False),
        Population(ALL.definition, 164),
    )
    _release(desk_node, grant_id, no_totals)
    # Then: persons by sex, on the same population: F total - 60 = the hidden 4.
    by_sex = Output(
        "by_sex",
        "frequency_table",
        counts_table(["sex"], [("F", 64), ("M", 100)]),
        Population(ALL.definition, 164),
    )
    found = _differencing(desk_node, grant_id, by_sex)
    assert found["status"] == "review"
    assert "recovers their one suppressed cell" in str(found["reason"])


def test_unrelated_releases_raise_no_differencing(desk_node: Node) -> None:
    grant_id = approved_grant(desk_node)
    _release(desk_node, grant_id, _table(ROWS))
    other = [("18-44", "F", 140), ("18-44", "M", 135), ("45-64", "F", 160), ("45-64", "M", 165)]
    found = _differencing(desk_node, grant_id, _table(other, Population("asthma", 600)))
    assert found["status"] == "pass"


# -- differential privacy --------------------------------------------------------------------


def _grant_with_budget(node: Node, epsilon: float) -> str:
    grant_id = approved_grant(node)
    grant = node.governance.grant(grant_id)
    # A second grant of the same kind, with a budget set by the committee.
    request_id = node.governance.create(node.governance.request(grant.request_id)[0], actor="r")
    node.governance.submit(request_id, actor="r")
    node.governance.start_review(request_id, actor="chair")
    review_favourably(node, request_id)
    node.governance.decide(request_id, "approved", reviewers=["chair"], reasons="ok", actor="chair")
    return node.governance.issue_grant(
        request_id, expires=today() + timedelta(days=30), actor="chair", dp_epsilon=epsilon
    ).id


def test_dp_count_spends_the_grants_budget_and_is_refused_once_spent(desk_node: Node) -> None:
    grant_id = _grant_with_budget(desk_node, 1.0)
    rows = ["p"] * 120
    result = dp_count(rows, 0.6, confidence=0.95)
    assert result.epsilon == pytest.approx(0.6, rel=1e-3)
    lo, hi = result.rows()[0][2:]
    assert lo < result.values[0] < hi
    req = desk_node.desk.request_dp(
        grant_id, "n", result, description="count", actor="researcher", population=ALL
    )
    assert "ε=0.6" in req.items[0].checks[0]["reason"]
    assert desk_node.desk.budget(grant_id).remaining_epsilon == pytest.approx(0.4, rel=1e-3)
    with pytest.raises(BudgetError, match="budget is spent"):
        desk_node.desk.request_dp(
            grant_id,
            "n2",
            dp_count(rows, 0.6, confidence=0.95),
            description="again",
            actor="researcher",
            population=ALL,
        )


def test_grant_without_budget_allows_no_dp_release(desk_node: Node) -> None:
    grant_id = approved_grant(desk_node)
    with pytest.raises(BudgetError):
        desk_node.desk.request_dp(
            grant_id,
            "n",
            dp_count(["p"] * 50, 0.1, confidence=0.95),
            description="c",
            actor="researcher",
            population=ALL,
        )


def test_negative_budget_is_refused(desk_node: Node) -> None:
    with pytest.raises(GrantError, match="epsilon >= 0"):
        desk_node.governance.issue_grant("req-x", expires=today(), actor="chair", dp_epsilon=-1)
