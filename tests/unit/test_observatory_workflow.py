"""The observatory's register: submitted → reviewed → published, versioned and audited."""

from __future__ import annotations

import pytest

from socle.node import Node
from socle.observatory import EntryNotFoundError, ObservatoryError, WorkflowError, parse_entry
from tests.unit.observatory_helpers import REVIEWER, publish, study, tool


def test_an_unreviewed_submission_is_never_public(node: Node) -> None:
    reg = node.observatory.registry
    entry = reg.submit(tool("Sepsis watch"), actor="maker@acme", role="maker")
    assert entry.state == "submitted" and entry.published_version is None
    assert reg.published_entries() == []
    with pytest.raises(EntryNotFoundError):
        reg.published(entry.id)
    node.observatory.reviews.declare_interests(REVIEWER, statement="no conflict")
    node.observatory.reviews.review(entry.id, reviewer=REVIEWER)
    assert reg.published_entries() == []  # reviewed is not yet published
    node.observatory.reviews.publish(entry.id, actor=REVIEWER)
    assert [e.id for e in reg.published_entries()] == [entry.id]
    assert b"Sepsis watch" in node.observatory.export("csv")


def test_a_revision_stays_private_until_reviewed_while_the_published_version_stays(
    node: Node,
) -> None:
    reg = node.observatory.registry
    entry_id = publish(node, tool("Sepsis watch", intended_use="v1 text"))
    reg.revise(entry_id, tool("Sepsis watch", intended_use="unreviewed claim"),
               actor="maker@acme", role="maker", note="new claim")  # fmt: skip
    assert reg.entry(entry_id).state == "submitted"
    public = reg.published(entry_id)
    assert public.version == 1 and public.data.intended_use == "v1 text"  # type: ignore[union-attr]
    assert b"unreviewed claim" not in node.observatory.export("json")
    assert "unreviewed claim" not in str(node.observatory.feed())
    node.observatory.reviews.review(entry_id, reviewer=REVIEWER)
    node.observatory.reviews.publish(entry_id, actor=REVIEWER)
    assert reg.published(entry_id).version == 2


def test_every_change_is_a_version_audited_with_the_real_actor_and_role(node: Node) -> None:
    reg = node.observatory.registry
    entry_id = publish(node, tool("Triage bot", category="triage"), submitter="steward@h")
    reg.revise(entry_id, tool("Triage bot", category="triage", version="2.0"),
               actor="steward@h", role="data_steward", note="version 2.0")  # fmt: skip
    history = reg.history(entry_id)
    assert [v.version for v in history] == [1, 2]
    assert history[0].reviewed_by == REVIEWER and history[0].published_by == REVIEWER
    assert history[1].submitted_by == "steward@h" and history[1].review_outcome is None
    events = [(e.action, e.actor, e.role) for e in node.audit.events() if e.object == entry_id]
    assert events == [
        ("observatory.submit", "steward@h", "maker"),
        ("observatory.reviewed", REVIEWER, "observatory_reviewer"),
        ("observatory.publish", REVIEWER, "observatory_reviewer"),
        ("observatory.revise", "steward@h", "data_steward"),
    ]
    assert node.audit.verify().events >= 4


def test_a_reviewer_may_not_review_an_entry_they_submitted(node: Node) -> None:
    reg = node.observatory.registry
    node.observatory.reviews.declare_interests(REVIEWER, statement="no conflict")
    entry = reg.submit(tool("Own tool"), actor=REVIEWER, role="maker")
    with pytest.raises(WorkflowError, match="submitted entry"):
        node.observatory.reviews.review(entry.id, reviewer=REVIEWER)


def test_a_reviewer_must_declare_interests_before_reviewing(node: Node) -> None:
    reg = node.observatory.registry
    entry = reg.submit(tool("Some tool"), actor="maker@acme", role="maker")
    with pytest.raises(WorkflowError, match="declaration of interests"):
        node.observatory.reviews.review(entry.id, reviewer="newcomer@observatory")


def test_a_conflicted_reviewer_is_refused_on_the_maker_and_on_the_entry(node: Node) -> None:
    reg = node.observatory.registry
    by_maker = reg.submit(tool("A", maker="Acme AI"), actor="maker@acme", role="maker")
    other = reg.submit(tool("B", maker="Other Inc"), actor="maker@other", role="maker")
    free = reg.submit(tool("C", maker="Third"), actor="maker@third", role="maker")
    node.observatory.reviews.declare_interests(REVIEWER, makers=["acme ai"], entries=[other.id],
                          statement="I consult for Acme; I co-authored B's study")  # fmt: skip
    done, skipped = node.observatory.reviews.review_many(
        [by_maker.id, other.id, free.id], reviewer=REVIEWER
    )
    assert done == [free.id]
    assert set(skipped) == {by_maker.id, other.id}
    assert all("conflict of interest" in why for why in skipped.values())
    assert reg.entry(by_maker.id).state == "submitted"


def test_requesting_changes_needs_a_note_and_blocks_publication(node: Node) -> None:
    reg = node.observatory.registry
    node.observatory.reviews.declare_interests(REVIEWER, statement="no conflict")
    entry = reg.submit(tool("Vague tool"), actor="maker@acme", role="maker")
    with pytest.raises(WorkflowError, match="which changes"):
        node.observatory.reviews.review(entry.id, reviewer=REVIEWER, outcome="changes_requested")
    node.observatory.reviews.review(
        entry.id, reviewer=REVIEWER, outcome="changes_requested", note="state the population"
    )
    with pytest.raises(WorkflowError, match="changes_requested"):
        node.observatory.reviews.publish(entry.id, actor=REVIEWER)


def test_an_entry_outside_the_taxonomy_is_refused_with_the_field_named() -> None:
    with pytest.raises(ObservatoryError, match=r"entry #3: category: .*'astrology' unknown"):
        parse_entry({"name": "X", "maker": "Y", "category": "astrology"}, record="entry #3")
    with pytest.raises(ObservatoryError, match=r"evidence\.0\.design"):
        parse_entry({"name": "X", "maker": "Y", "category": "imaging",
                     "evidence": [{"title": "t", "year": 2020, "design": "anecdote"}]},
                    record="x")  # fmt: skip
    assert study().design == "retrospective"
