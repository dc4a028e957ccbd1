"""Consent: derived state, opt-out and opt-in rules, and the filter in every read."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from socle.consent import ConsentError, ConsentEvent, UnknownPurposeError
from socle.node import Node
from tests.helpers import approved_grant

TODAY = datetime.now(UTC).date()


def _persons(node: Node) -> list[int]:
    return [int(p) for (p,) in node.warehouse.aggregate("SELECT person_id FROM person ORDER BY 1")]


def _visible(node: Node, grant_id: str) -> set[int]:
    with node.workspace.session(grant_id, "aggregates", actor="r") as ws:
        return set(ws.query("SELECT person_id FROM scoped_person").column(0).to_pylist())


def test_objection_removes_patient_from_every_later_read(loaded: Node) -> None:
    grant_id = approved_grant(loaded)
    first, *others = _persons(loaded)
    assert _visible(loaded, grant_id) == {first, *others}
    loaded.consent.record(
        [ConsentEvent(first, "research", "objection", TODAY, "portal", "patient")],
        actor="p",
        role="patient",
    )
    assert _visible(loaded, grant_id) == set(others)


def test_withdrawn_objection_includes_again(loaded: Node) -> None:
    person = _persons(loaded)[0]
    events = [
        ConsentEvent(
            person, "research", "objection", TODAY - timedelta(days=5), "portal", "patient"
        ),
        ConsentEvent(person, "research", "withdraw_objection", TODAY, "portal", "patient"),
    ]
    loaded.consent.record(events, actor="p", role="patient")
    assert loaded.consent.state(person, "research", TODAY)
    assert not loaded.consent.state(person, "research", TODAY - timedelta(days=1))
    assert [e.kind for e in loaded.consent.history(person)] == ["objection", "withdraw_objection"]


def test_opt_in_purpose_excludes_by_default(loaded: Node) -> None:
    persons = _persons(loaded)
    assert not loaded.consent.state(persons[0], "industrial_research", TODAY)
    loaded.consent.record(
        [ConsentEvent(persons[0], "industrial_research", "opt_in", TODAY, "portal", "patient")],
        actor="p", role="patient",
    )  # fmt: skip
    grant_id = approved_grant(loaded, purpose="industrial_research")
    assert _visible(loaded, grant_id) == {persons[0]}


def test_objection_for_one_purpose_leaves_others(loaded: Node) -> None:
    person = _persons(loaded)[0]
    loaded.consent.record(
        [ConsentEvent(person, "ai_training", "objection", TODAY, "portal", "patient")],
        actor="p",
        role="patient",
    )
    assert loaded.consent.state(person, "research", TODAY)
    assert not loaded.consent.state(person, "ai_training", TODAY)


def test_unknown_purpose_records_nothing(loaded: Node) -> None:
    person = _persons(loaded)[0]
    good = ConsentEvent(person, "research", "objection", TODAY, "portal", "patient")
    bad = ConsentEvent(person, "astrology", "objection", TODAY, "portal", "patient")
    with pytest.raises(UnknownPurposeError, match="astrology"):
        loaded.consent.record([good, bad], actor="p", role="patient")
    assert loaded.consent.history(person) == []


def test_future_withdrawal_is_refused(loaded: Node) -> None:
    person = _persons(loaded)[0]
    future = ConsentEvent(
        person, "research", "withdraw_objection", date(2999, 1, 1), "portal", "patient"
    )
    with pytest.raises(ConsentError, match="future"):
        loaded.consent.record([future], actor="p", role="patient")
