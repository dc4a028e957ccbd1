"""The committee's journey: the queue, the automatic checks, a scored review per criterion
from two members, a conflict declared, the decision with its reasons, and the grant."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from socle.governance import ProjectRequest, RequestedVariable, TeamMember
from socle.node import Node
from tests.integration.web.conftest import (
    LiveServer,
    no_serious_violations,
    screenshot,
    sign_in,
)

CHAIR, MEMBER = "chair@committee", "member2@committee"


def _filed(node: Node, title: str) -> str:
    dataset = node.catalog.datasets()[0]
    request = ProjectRequest(
        title=title,
        sponsor="Cardiology department",
        team=(TeamMember("researcher@lab", "principal_investigator"),),
        purpose="research",
        public_interest="Fewer strokes after atrial fibrillation.",
        dataset_id=dataset.id,
        variables=(RequestedVariable("person", "year_of_birth", "Age adjusts the risk."),),
        output_types=("aggregates",),
    )
    request_id = node.governance.create(request, actor="researcher@lab")
    node.governance.submit(request_id, actor="researcher@lab")
    return request_id


def _score_all(page: Page, score: str, summary: str) -> None:
    for select in page.locator("select[name^=score_]").all():
        select.select_option(score)
    page.get_by_label("Summary").fill(summary)
    page.get_by_role("button", name="Send my review").click()


def test_committee_reviews_decides_with_reasons_and_grants(
    page: Page, live_server: LiveServer
) -> None:
    request_id = live_server.node_call(lambda n: _filed(n, "Atrial fibrillation and stroke"))
    other_id = live_server.node_call(lambda n: _filed(n, "A request a member is conflicted on"))

    sign_in(page, live_server, CHAIR)
    expect(page.get_by_role("heading", level=1)).to_have_text("Requests before the committee")
    screenshot(page, "committee-queue")
    no_serious_violations(page)
    page.get_by_role("link", name="Atrial fibrillation and stroke").click()
    expect(page.locator("#checks")).to_have_text("all passed")
    page.get_by_role("button", name="Start the review").click()
    expect(page.locator("#state")).to_have_text("in review")
    screenshot(page, "committee-scoring")
    no_serious_violations(page)
    _score_all(page, "4", "Clear public interest, minimal data.")
    expect(page.locator("#reviews")).to_contain_text(CHAIR)

    # The second member declares a conflict on the other request, then reviews this one.
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, live_server, MEMBER)
    page.goto(f"{live_server.url}/web/committee/requests/{other_id}")
    page.get_by_role("button", name="Start the review").click()
    page.get_by_label("Your interest in this request").fill("I advise this sponsor.")
    page.get_by_role("button", name="Declare it and step aside").click()
    page.goto(f"{live_server.url}/web/committee/requests/{other_id}")
    expect(page.locator("#state")).to_have_text("in review")
    page.get_by_label("Summary").fill("x")
    for select in page.locator("select[name^=score_]").all():
        select.select_option("5")
    page.get_by_role("button", name="Send my review").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("This is not open to you")
    assert live_server.node_call(lambda n: n.governance.reviews(other_id)) == []

    page.goto(f"{live_server.url}/web/committee/requests/{request_id}")
    _score_all(page, "5", "Proportionate.")
    page.get_by_label("approved").check()
    page.get_by_label("Reasons (published with the decision)").fill(
        "Proportionate request with a clear public interest."
    )
    page.get_by_role("button", name="Record the decision").click()
    expect(page.locator("#state")).to_have_text("approved")
    expect(page.locator("#decisions")).to_contain_text("Proportionate request")
    page.get_by_role("button", name="Issue the grant").click()
    expect(page.locator("#state")).to_have_text("active")
    screenshot(page, "committee-decided")

    state = live_server.node_call(lambda n: n.governance.request(request_id)[1])
    decision = live_server.node_call(lambda n: n.governance.decisions(request_id)[-1])
    assert state == "active" and decision.reasons.startswith("Proportionate")
    events = live_server.node_call(lambda n: list(n.audit.events()))
    acts = {(e.actor, e.role, e.action, e.object) for e in events}
    assert (CHAIR, "committee_member", "request.in_review", request_id) in acts
    assert (MEMBER, "committee_member", "request.approved", request_id) in acts
    assert any(e.actor == MEMBER and e.action == "committee.conflict_declare" for e in events)
    assert any(e.actor == MEMBER and e.action == "grant.issue" for e in events)
    reviewers = live_server.node_call(lambda n: n.governance.reviews(request_id))
    assert len(reviewers) == 2  # the conflicted member's attempt on the other request is refused
