"""The Top 10: a versioned method, transparent contributions, reproducible past rankings."""

from __future__ import annotations

import time

import pytest

from socle.node import Node
from socle.observatory import (
    Deployment,
    DeviceStatus,
    HumanGuaranteePlan,
    MethodError,
    packaged_method_text,
    parse_method,
)
from socle.observatory.scoring import rank
from tests.unit.observatory_helpers import publish, study, tool

BOARD = "board@observatory"


def _method_v2() -> str:
    """Method 2: external validation weighs more, evidence level less."""
    return (
        packaged_method_text(1)
        .replace("version = 1\n", "version = 2\n", 1)
        .replace('weight = 0.25\nrule = "best_design"', 'weight = 0.05\nrule = "best_design"')
        .replace(
            'weight = 0.20\nrule = "external_validation"',
            'weight = 0.40\nrule = "external_validation"',
        )
    )


def _seed(node: Node) -> dict[str, str]:
    trial = tool(
        "Trial-proven", evidence=(study("randomised_trial"),),
        device=DeviceStatus(regulatory_status="authorised"),
        deployments=(Deployment(site="Hospital A"), Deployment(site="Hospital B")),
        human_guarantee=HumanGuaranteePlan(arrangement="declared"),
    )  # fmt: skip
    external = tool("Externally validated", evidence=(study("retrospective", external=True),))
    bare = tool("No evidence", device=DeviceStatus(regulatory_status="authorised"))
    return {t.name: publish(node, t) for t in (trial, external, bare)}


def test_scoring_is_reproducible_from_the_method_version(node: Node) -> None:
    ids = _seed(node)
    rankings = node.observatory.rankings
    rankings.ensure_method(actor=BOARD, role="observatory_reviewer")
    first = rankings.top("prediction")
    rankings.record(first, actor=BOARD, role="observatory_reviewer")
    assert [s.name for s in first.ranked] == ["Trial-proven", "Externally validated"]

    time.sleep(1.1)  # later publications and a new method must not change the past
    rankings.adopt(_method_v2(), actor=BOARD, role="observatory_reviewer",
                   reason="External validation predicts transportability best")  # fmt: skip
    publish(node, tool("Newcomer", evidence=(study("randomised_trial", external=True),)))
    now = rankings.top("prediction")
    assert now.method_version == 2 and now.ranked[0].name == "Newcomer"
    assert [s.name for s in now.ranked].index("Externally validated") < [
        s.name for s in now.ranked
    ].index("Trial-proven")

    again = rankings.top("prediction", method_version=1, as_of=first.as_of)
    assert again == first and again.digest == first.digest
    assert rankings.verify_recorded() == [("prediction", 1, first.as_of, True)]
    assert ids["No evidence"] in {s.entry_id for s in again.lacking_evidence}


def test_a_change_of_method_is_audited_with_its_reason_and_old_versions_stay(node: Node) -> None:
    rankings = node.observatory.rankings
    rankings.ensure_method(actor=BOARD, role="observatory_reviewer")
    with pytest.raises(MethodError, match="say why"):
        rankings.adopt(_method_v2(), actor=BOARD, role="observatory_reviewer", reason=" ")
    with pytest.raises(MethodError, match="next version is 2"):
        rankings.adopt(packaged_method_text(1), actor=BOARD, role="observatory_reviewer",
                       reason="again")  # fmt: skip
    rankings.adopt(_method_v2(), actor=BOARD, role="observatory_reviewer", reason="weights")
    events = [e for e in node.audit.events() if e.action == "observatory.method_adopt"]
    assert [(e.actor, e.role, e.object, e.details["reason"]) for e in events] == [
        (BOARD, "observatory_reviewer", "method v1", "initial published method"),
        (BOARD, "observatory_reviewer", "method v2", "weights"),
    ]
    assert events[1].details["digest"] == rankings.method(2).method.digest
    assert rankings.method(1).method.text == packaged_method_text(1)


def test_a_method_whose_weights_do_not_sum_to_one_is_refused() -> None:
    broken = packaged_method_text(1).replace("weight = 0.25", "weight = 0.5")
    with pytest.raises(MethodError, match="sum to 1"):
        parse_method(broken)
    with pytest.raises(MethodError, match="unknown rule"):
        parse_method(packaged_method_text(1).replace('rule = "best_design"', 'rule = "vibes"'))


def test_each_rank_shows_every_criterion_and_missing_data_is_never_invented() -> None:
    method = parse_method(packaged_method_text(1))
    rows = [
        ("a", tool("Studied", evidence=(study("prospective"),)), None),
        ("b", tool("Unstudied", device=DeviceStatus(regulatory_status="authorised")), None),
    ]
    ranking = rank(method, "prediction", "2026-01-01T00:00:00+00:00", rows)
    [top] = ranking.ranked
    assert {c.criterion for c in top.contributions} == {c.code for c in method.criteria}
    assert top.total == pytest.approx(sum(c.points for c in top.contributions))
    no_data = {c.criterion: c.basis for c in top.contributions if c.score is None}
    assert no_data["real_world"] == "not monitored through this node"
    assert all(c.points == 0 for c in top.contributions if c.score is None)
    [lacking] = ranking.lacking_evidence
    assert lacking.name == "Unstudied" and "evidence_level" in lacking.missing


def test_equal_totals_share_a_rank_and_are_listed_by_name() -> None:
    method = parse_method(packaged_method_text(1))
    same = (study("retrospective"),)
    rows = [(i, tool(n, evidence=same), None) for i, n in (("1", "Zeta"), ("2", "Alpha"))]
    rows.append(("3", tool("Best", evidence=(study("randomised_trial"),)), None))
    ranking = rank(method, "prediction", "2026-01-01T00:00:00+00:00", rows)
    assert [(s.rank, s.name) for s in ranking.ranked] == [(1, "Best"), (2, "Alpha"), (2, "Zeta")]


def test_only_the_top_ten_ranks_are_kept() -> None:
    method = parse_method(packaged_method_text(1))
    rows = [
        (str(i), tool(f"Tool {i:02}", evidence=(study("retrospective", year=2000 + i),),
                      deployments=tuple(Deployment(site=f"S{j}") for j in range(i))), None)
        for i in range(11)  # 0 to 10 sites: 10 is full marks
    ]  # fmt: skip
    ranking = rank(method, "prediction", "2026-01-01T00:00:00+00:00", rows)
    assert [s.rank for s in ranking.ranked] == list(range(1, 11))
    assert ranking.ranked[0].name == "Tool 10" and ranking.considered == 11
    assert "0" not in {s.entry_id for s in ranking.ranked}
