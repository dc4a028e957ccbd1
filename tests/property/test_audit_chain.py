"""Any single tampering of a valid chain is detected; percentiles stay ordered and bounded."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socle.audit import GENESIS, Anchor, TamperedLogError, event_hash, verify_chain
from socle.governance.model import percentile

text = st.text(min_size=1, max_size=12)
payloads = st.fixed_dictionaries(
    {
        "actor": text,
        "action": text,
        "object": text,
        "details": st.dictionaries(
            st.text(max_size=5), st.integers(-(2**63), 2**63 - 1) | st.text(max_size=5)
        ),
    }
)


def chain(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    events, prev = [], GENESIS
    for i, item in enumerate(items, start=1):
        fields = {"seq": i, "at": f"2026-01-01T00:00:{i % 60:02d}", "role": "r", "purpose": "",
                  "outcome": "ok", "prev_hash": prev, **item}  # fmt: skip
        fields["hash"] = event_hash(fields)
        prev = fields["hash"]
        events.append(fields)
    return events


@settings(max_examples=60, deadline=None)
@given(st.lists(payloads, min_size=3, max_size=12), st.data())
def test_every_single_tampering_is_detected(items: list[dict[str, Any]], data: Any) -> None:
    events = chain(items)
    assert verify_chain(events).events == len(events)
    anchor = Anchor(len(events), events[-1]["hash"])
    n = len(events)
    kind = data.draw(st.sampled_from(["modify", "delete", "insert", "swap", "truncate"]))
    bad = copy.deepcopy(events)
    i = data.draw(st.integers(0, n - 2))
    if kind == "modify":
        field = data.draw(st.sampled_from(["actor", "action", "object", "at", "details"]))
        bad[i][field] = {"x": 1} if field == "details" else bad[i][field] + "!"
    elif kind == "delete":
        del bad[i]
    elif kind == "insert":
        bad.insert(i, copy.deepcopy(bad[i]))
    elif kind == "swap":
        bad[i], bad[i + 1] = bad[i + 1], bad[i]
    else:
        bad = bad[: data.draw(st.integers(0, n - 1))]
    with pytest.raises(TamperedLogError):
        verify_chain(bad, anchors=[anchor])


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(0, 1e7), min_size=1, max_size=40), st.floats(0, 100), st.floats(0, 100))
def test_percentiles_are_bounded_and_monotonic(values: list[float], q1: float, q2: float) -> None:
    values.sort()
    low, high = sorted((q1, q2))
    assert values[0] <= percentile(values, low) <= percentile(values, high) <= values[-1]
