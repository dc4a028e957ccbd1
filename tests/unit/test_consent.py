"""Consent: derived state, opt-out and opt-in rules, and the filter in every read."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from socle.consent import (
    ConsentError,
    ConsentEvent,
    FutureDateError,
    InvalidConsentEventError,
    UnknownPurposeError,
)
from socle.node import Node
from tests.helpers import approved_grant, today


def _persons(node: Node) -> list[int]:
    return [int(p) for (p,) in node.warehouse.aggregate("SELECT person_id FROM person ORDER BY 1")]


def _visible(node: Node, grant_id: str) -> set[int]:
    with node.workspace.session(grant_id, "aggregates", actor="researcher") as ws:
        return set(ws.query("SELECT person_id FROM scoped_person").column(0).to_pylist())


def test_objection_removes_patient_from_every_later_read(loaded: Node) -> None:
    grant_id = approved_grant(loaded)
    first, *others = _persons(loaded)
    assert _visible(loaded, grant_id) == {first, *others}
    loaded.consent.record(
        [ConsentEvent(first, "research", "objection", today(), "portal", "patient")],
        actor="p",
        role="patient",
    )
    assert _visible(loaded, grant_id) == set(others)


def test_withdrawn_objection_includes_again(loaded: Node) -> None:
    person = _persons(loaded)[0]
    events = [
        ConsentEvent(
            person, "research", "objection", today() - timedelta(days=5), "portal", "patient"
        ),
        ConsentEvent(person, "research", "withdraw_objection", today(), "portal", "patient"),
    ]
    loaded.consent.record(events, actor="p", role="patient")
    assert loaded.consent.state(person, "research", today())
    assert not loaded.consent.state(person, "research", today() - timedelta(days=1))
    assert [e.kind for e in loaded.consent.history(person)] == ["objection", "withdraw_objection"]


def test_opt_in_purpose_excludes_by_default(loaded: Node) -> None:
    persons = _persons(loaded)
    assert not loaded.consent.state(persons[0], "industrial_research", today())
    loaded.consent.record(
        [ConsentEvent(persons[0], "industrial_research", "opt_in", today(), "portal", "patient")],
        actor="p", role="patient",
    )  # fmt: skip
    grant_id = approved_grant(loaded, purpose="industrial_research")
    assert _visible(loaded, grant_id) == {persons[0]}


def test_objection_for_one_purpose_leaves_others(loaded: Node) -> None:
    person = _persons(loaded)[0]
    loaded.consent.record(
        [ConsentEvent(person, "ai_training", "objection", today(), "portal", "patient")],
        actor="p",
        role="patient",
    )
    assert loaded.consent.state(person, "research", today())
    assert not loaded.consent.state(person, "ai_training", today())


def test_unknown_purpose_records_nothing(loaded: Node) -> None:
    person = _persons(loaded)[0]
    good = ConsentEvent(person, "research", "objection", today(), "portal", "patient")
    bad = ConsentEvent(person, "astrology", "objection", today(), "portal", "patient")
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


def test_future_objection_is_refused_and_nothing_recorded(loaded: Node) -> None:
    person = _persons(loaded)[0]
    good = ConsentEvent(person, "research", "objection", today(), "portal", "patient")
    future = ConsentEvent(
        person, "ai_training", "objection", today() + timedelta(days=1), "portal", "patient"
    )
    with pytest.raises(FutureDateError, match=r"event 2.*future"):
        loaded.consent.record([good, future], actor="p", role="patient")
    assert loaded.consent.history(person) == []


@pytest.mark.parametrize(
    ("purpose", "kind", "channel", "by", "needle"),
    [
        ("research", "opt_in", "portal", "patient", "opt-out"),
        ("industrial_research", "objection", "portal", "patient", "opt-in"),
        ("research", "objection", "carrier_pigeon", "patient", "channel"),
        ("research", "objection", "portal", " ", "who recorded"),
        ("research", "shrug", "portal", "patient", "kind"),
    ],
)
def test_invalid_event_is_refused_with_reason(
    loaded: Node, purpose: str, kind: str, channel: str, by: str, needle: str
) -> None:
    person = _persons(loaded)[0]
    event = ConsentEvent(person, purpose, kind, today(), channel, by)  # type: ignore[arg-type]
    with pytest.raises(InvalidConsentEventError, match=needle):
        loaded.consent.record([event], actor="p", role="patient")
    assert loaded.consent.history(person) == []


def test_recording_is_audited_with_counts_only(loaded: Node) -> None:
    persons = _persons(loaded)
    loaded.consent.record(
        [ConsentEvent(p, "research", "objection", today(), "registry_sync", "s") for p in persons],
        actor="steward", role="data_steward",
    )  # fmt: skip
    (event,) = loaded.audit.events("consent.record")
    assert event.details["events"] == event.details["persons"] == len(persons)
    assert not any(str(p) in str(event.details) + event.object for p in persons)
    loaded.audit.verify()


def test_filter_follows_latest_effective_event_not_recording_order(loaded: Node) -> None:
    person = _persons(loaded)[0]
    loaded.consent.record(
        [ConsentEvent(person, "research", "withdraw_objection", today(), "portal", "patient")],
        actor="p", role="patient",
    )  # fmt: skip
    # A paper form signed earlier, recorded later, does not override the later withdrawal.
    loaded.consent.record(
        [
            ConsentEvent(
                person, "research", "objection", today() - timedelta(days=9), "paper_form", "clerk"
            )
        ],
        actor="clerk", role="data_steward",
    )  # fmt: skip
    assert person not in loaded.consent.person_filter("research", today()).excluded_person_ids
    assert (
        person
        in loaded.consent.person_filter("research", today() - timedelta(days=1)).excluded_person_ids
    )
    assert loaded.consent.state(person, "research", today())


def test_opt_in_filter_lists_only_current_opt_ins(loaded: Node) -> None:
    a, b, *_ = _persons(loaded)
    loaded.consent.record(
        [
            ConsentEvent(a, "industrial_research", "opt_in", today() - timedelta(days=3), "portal", "a"),
            ConsentEvent(b, "industrial_research", "opt_in", today() - timedelta(days=3), "portal", "b"),
            ConsentEvent(b, "industrial_research", "withdraw_opt_in", today(), "portal", "b"),
        ],
        actor="p", role="patient",
    )  # fmt: skip
    assert loaded.consent.person_filter("industrial_research", today()).included_only == frozenset(
        {a}
    )
    assert loaded.consent.person_filter(
        "industrial_research", today() - timedelta(days=1)
    ).included_only == frozenset({a, b})
