"""The committee: conflicts of interest exclude members, reviews score the published criteria,
no approval without review, and the time from submission to decision is reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from socle.governance import (
    ConflictOfInterestError,
    Member,
    ReviewError,
    TransitionError,
    load_criteria,
)
from socle.governance.committee import Review, recommend
from socle.node import Node
from tests.helpers import make_request, review_favourably

CRITERIA = load_criteria()
ALL = list(CRITERIA.criteria)


def _in_review(node: Node, sponsor: str = "Test sponsor") -> str:
    dataset = node.catalog.register(
        node.warehouse, title="t", description="d", publisher="p", actor="s"
    )
    request = make_request(node, dataset.id)
    request = type(request)(**{**request.__dict__, "sponsor": sponsor})
    rid = node.governance.create(request, actor="r")
    assert all(c.passed for c in node.governance.submit(rid, actor="r"))
    node.governance.start_review(rid, actor="chair")
    return rid


def _member(node: Node, name: str) -> Member:
    return node.governance.add_member(name, expertise="biostatistics", actor="chair")


def test_published_criteria_are_the_six_of_the_committee() -> None:
    assert set(ALL) == {
        "expected_benefit", "feasibility", "team_capacity", "innovative_use", "data_sharing",
        "proportionality",
    }  # fmt: skip


def test_no_approval_without_a_scored_review(loaded: Node) -> None:
    rid = _in_review(loaded)
    with pytest.raises(TransitionError, match="cannot be approved without review"):
        loaded.governance.decide(rid, "approved", reviewers=["chair"], reasons="ok", actor="chair")
    assert loaded.governance.request(rid)[1] == "in_review"


def test_member_with_a_conflict_on_the_request_is_excluded(loaded: Node) -> None:
    rid = _in_review(loaded)
    alice, bob = _member(loaded, "alice"), _member(loaded, "bob")
    loaded.governance.declare_conflict(
        alice.id, request_id=rid, statement="Co-author with the applicant", actor="alice"
    )
    assert [m.id for m in loaded.governance.eligible_reviewers(rid)] == [bob.id]
    with pytest.raises(ConflictOfInterestError, match=f"{alice.id} declared a conflict"):
        loaded.governance.review(
            rid, alice.id, scores=dict.fromkeys(ALL, 5), summary="Great.", actor="alice"
        )


def test_conflict_with_a_sponsor_excludes_from_all_its_requests(loaded: Node) -> None:
    rid = _in_review(loaded, sponsor="Pharma Corp")
    carol = _member(loaded, "carol")
    loaded.governance.declare_conflict(
        carol.id, sponsor="pharma corp", statement="Consultant for the sponsor", actor="carol"
    )
    assert loaded.governance.eligible_reviewers(rid) == []
    review_favourably(loaded, rid, member="dave")
    with pytest.raises(ConflictOfInterestError, match="may not take part in the decision"):
        loaded.governance.decide(rid, "approved", reasons="Sound.", actor="carol")


def test_review_must_score_every_criterion_on_the_scale(loaded: Node) -> None:
    rid = _in_review(loaded)
    erin = _member(loaded, "erin")
    partial = dict.fromkeys(ALL[:-1], 4)
    with pytest.raises(ReviewError, match=f"missing {ALL[-1]}"):
        loaded.governance.review(rid, erin.id, scores=partial, summary="x", actor="erin")
    with pytest.raises(ReviewError, match="from 1 to 5; check feasibility"):
        loaded.governance.review(
            rid, erin.id, scores={**dict.fromkeys(ALL, 4), "feasibility": 9}, summary="x",
            actor="erin",
        )  # fmt: skip
    with pytest.raises(ReviewError, match="summary"):
        loaded.governance.review(
            rid, erin.id, scores=dict.fromkeys(ALL, 4), summary=" ", actor="erin"
        )


def test_a_member_reviews_a_round_once_and_the_review_is_audited(loaded: Node) -> None:
    rid = _in_review(loaded)
    review_favourably(loaded, rid, member="frank")
    with pytest.raises(ReviewError, match="already reviewed"):
        review_favourably(loaded, rid, member="frank")
    [event] = list(loaded.audit.events("review.submit"))
    assert event.object == rid and event.details["scores"] == dict.fromkeys(ALL, 4)
    assert "frank" not in str(event.details)  # the member id is recorded, not the name


def test_reviews_are_taken_only_in_review(loaded: Node) -> None:
    dataset = loaded.catalog.register(
        loaded.warehouse, title="t", description="d", publisher="p", actor="s"
    )
    rid = loaded.governance.create(make_request(loaded, dataset.id), actor="r")
    with pytest.raises(TransitionError, match="reviews are taken only 'in_review'"):
        review_favourably(loaded, rid)


def _review(scores: dict[str, int]) -> Review:
    return Review("req", "m", 0, scores, {}, "s", "")


@pytest.mark.parametrize(
    ("scores", "outcome"),
    [
        (dict.fromkeys(ALL, 4), "approved"),
        (dict.fromkeys(ALL, 2), "rejected"),
        (dict.fromkeys(ALL, 3), "changes_requested"),
        ({**dict.fromkeys(ALL, 5), "proportionality": 1}, "changes_requested"),
    ],
)
def test_recommendation_follows_the_published_rule(scores: dict[str, int], outcome: str) -> None:
    assert recommend(CRITERIA, [_review(scores)]).outcome == outcome


def test_decision_from_reviews_records_the_recommendation(loaded: Node) -> None:
    rid = _in_review(loaded)
    member = _member(loaded, "gina")
    loaded.governance.review(
        rid, member.id, scores={**dict.fromkeys(ALL, 5), "proportionality": 1},
        comments={"proportionality": "Drop the condition dates."}, summary="Too broad.",
        actor="gina",
    )  # fmt: skip
    outcome = loaded.governance.decide_from_reviews(rid, reasons="Minimise.", actor="gina")
    assert outcome == "changes_requested"
    [decision] = loaded.governance.decisions(rid)
    assert decision.recommendation == "changes_requested" and decision.reviewers == (member.id,)


def test_resubmission_opens_a_new_round_and_time_runs_from_first_submission(loaded: Node) -> None:
    rid = _in_review(loaded)
    review_favourably(loaded, rid)
    loaded.governance.decide(rid, "changes_requested", reasons="Clarify.", actor="chair")
    first_submission = loaded.governance.decision_times()[0].submitted_at
    loaded.governance.submit(rid, actor="r")
    loaded.governance.start_review(rid, actor="chair")
    assert loaded.governance.recommendation(rid).outcome is None  # earlier round does not count
    review_favourably(loaded, rid)
    loaded.governance.decide(rid, "approved", reasons="Clarified.", actor="chair")
    assert [d.outcome for d in loaded.governance.decisions(rid)] == [
        "changes_requested",
        "approved",
    ]
    [t] = loaded.governance.decision_times()
    assert t.submitted_at == first_submission and t.seconds is not None and t.seconds > 0


def test_time_to_decision_report_has_median_and_percentiles(loaded: Node) -> None:
    decided = [_in_review(loaded) for _ in range(3)]
    for rid in decided:
        review_favourably(loaded, rid)
        loaded.governance.decide(rid, "rejected", reasons="Out of scope.", actor="chair")
    pending = _in_review(loaded)
    times = {t.request_id: t for t in loaded.governance.decision_times()}
    assert times[pending].seconds is None and times[pending].decided_at is None
    summary = loaded.governance.decision_time_summary()
    values = sorted(t.seconds for t in times.values() if t.seconds is not None)
    assert (summary.submitted, summary.decided) == (4, 3)
    assert summary.median == values[1] and summary.max == values[-1]
    assert values[0] <= summary.median <= summary.p75 <= summary.p90 <= summary.max  # type: ignore[operator]


def test_criteria_file_with_bad_scale_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "criteria.toml"
    path.write_text(
        "[scale]\nmin = 5\nmax = 1\n[decision]\nmin_reviews = 1\napprove_at = 3\n"
        'reject_below = 2\nfloor = 1\n[criteria.a]\ntitle = "A"\nquestion = "?"\n'
    )
    with pytest.raises(ReviewError, match=r"scale\.min"):
        load_criteria(path)


def test_appointing_twice_under_one_name_is_refused_but_ensure_reuses(loaded: Node) -> None:
    first = _member(loaded, "hana")
    with pytest.raises(ReviewError, match="already exists"):
        _member(loaded, "hana")
    assert loaded.governance.ensure_member("hana", expertise="x", actor="c") == first
    assert [e.object for e in loaded.audit.events("committee.member_add")] == [first.id]
