"""The permit chain's shared tail (grant → decision → request), as releases and models use it."""

from __future__ import annotations

import pytest

from socle.ai import ModelError
from socle.ai.lineage import trace_model
from socle.node import Node
from socle.workspace import WorkspaceError, grant_chain, trace


def _record(node: Node, action: str, obj: str, **details: object) -> None:
    node.audit.record(actor="t", role="data_steward", action=action, object=obj, details=details)


def _latest(node: Node):  # type: ignore[no-untyped-def]
    events = {(e.action, e.object): e for e in node.audit.events()}
    return lambda action, obj: events.get((action, obj))


def test_grant_chain_walks_from_the_grant_to_the_request_filing(node: Node) -> None:
    _record(node, "request.create", "req-1")
    _record(node, "request.approved", "req-1")
    _record(node, "grant.issue", "g-1", request="req-1")
    chain = grant_chain("g-1", _latest(node), "release r-1")
    assert [(link.kind, link.event.object) for link in chain] == [
        ("grant", "g-1"), ("decision", "req-1"), ("request", "req-1"),
    ]  # fmt: skip


def test_a_grant_missing_from_the_log_names_who_named_it(node: Node) -> None:
    with pytest.raises(WorkspaceError, match="release r-1 names grant 'g-9', not in the log"):
        grant_chain("g-9", _latest(node), "release r-1")


def test_releases_and_models_share_the_tail_and_its_errors(node: Node) -> None:
    _record(node, "request.create", "req-1")
    _record(node, "grant.issue", "g-1", request="req-1")  # never approved
    _record(node, "workspace.release", "r-1", grant="g-1")
    _record(node, "model.register", "m-1", grant="g-1")
    with pytest.raises(WorkspaceError, match="grant g-1: no decision for request 'req-1'"):
        trace("r-1", node.audit.events())
    with pytest.raises(ModelError, match="grant g-1: no decision for request 'req-1'"):
        trace_model("m-1", node.audit.events())
    _record(node, "request.approved", "req-1")
    release_kinds = [link.kind for link in trace("r-1", node.audit.events())]
    model_kinds = [link.kind for link in trace_model("m-1", node.audit.events())]
    assert release_kinds[-3:] == model_kinds[-3:] == ["grant", "decision", "request"]
