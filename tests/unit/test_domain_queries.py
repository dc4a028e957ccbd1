"""The small domain queries the pages read instead of scanning the audit log: a team member's
grants, a request's automatic check results, a clinician's pending predictions."""

from __future__ import annotations

from socle.consent import ConsentEvent
from socle.node import Node
from tests.helpers import approved_grant, make_request, today


def test_a_researcher_sees_the_grants_of_projects_whose_team_lists_them(loaded: Node) -> None:
    grant_id = approved_grant(loaded)  # the team is "researcher"
    mine = loaded.governance.grants_of_member("researcher")
    assert [g.id for g in mine] == [grant_id]
    assert loaded.governance.grants_of_member("someone-else") == []
    request_id = mine[0].request_id
    assert [g.id for g in loaded.governance.grants_of_request(request_id)] == [grant_id]


def test_check_results_are_those_of_the_latest_submission(loaded: Node) -> None:
    dataset = loaded.catalog.register(
        loaded.warehouse, title="t", description="d", publisher="p", actor="s"
    ).id
    request_id = loaded.governance.create(
        make_request(loaded, dataset, purpose="insurance_risk_selection"), actor="r"
    )
    assert loaded.governance.checks(request_id) is None  # a draft was never checked
    submitted = loaded.governance.submit(request_id, actor="r")
    stored = loaded.governance.checks(request_id)
    assert stored == submitted
    assert "purpose_allowed" in [c.name for c in stored if not c.passed]


def test_consent_statistics_of_every_purpose_in_one_query_match_each_purpose(
    loaded: Node,
) -> None:
    persons = sorted(int(r[0]) for r in loaded.warehouse.aggregate("SELECT person_id FROM person"))
    on = today()
    loaded.consent.record(
        [ConsentEvent(persons[0], "research", "objection", on, "portal", "p"),
         ConsentEvent(persons[1], "research", "objection", on, "portal", "p"),
         ConsentEvent(persons[1], "research", "withdraw_objection", on, "portal", "p"),
         ConsentEvent(persons[2], "care_quality", "objection", on, "portal", "p")],
        actor="portal", role="patient",
    )  # fmt: skip
    counts = loaded.consent.excluded_counts(on)
    assert counts == {p: loaded.consent.excluded_count(p, on) for p in loaded.taxonomy.purposes}
    assert counts["research"] == 1 and counts["care_quality"] == 1
