"""The patient's journey: choices in plain words, objecting in two clicks, history,
the projects that used their data, the FHIR export; and what a patient may not see."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
from playwright.sync_api import Page, expect

from socle.node import Node
from tests.integration.web.conftest import (
    LiveServer,
    no_serious_violations,
    screenshot,
    sign_in,
)

PATIENT = "patient@portal"


def test_patient_objects_to_research_in_two_clicks_and_sees_it_everywhere(
    page: Page, live_server: LiveServer
) -> None:
    sign_in(page, live_server, PATIENT)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "My choices for the use of my health data"
    )
    research = page.locator("#purpose-research")
    expect(research).to_contain_text("Researchers study anonymous groups of patients")
    expect(research).to_contain_text("your data may be used.")
    # The transparency view: the demo's approved project used this patient's data.
    title = live_server.node_call(_active_title)
    expect(page.get_by_role("table", name="Approved projects that used your data")).to_contain_text(
        title
    )
    screenshot(page, "patient-choices")
    no_serious_violations(page)

    research.get_by_role("link", name="Say no").click()  # click 1
    expect(page.get_by_role("heading", level=1)).to_contain_text("Say no")
    no_serious_violations(page)
    page.get_by_role("button", name="Confirm").click()  # click 2
    expect(page.get_by_role("status")).to_contain_text("Your choice is recorded")
    expect(page.locator("#purpose-research")).to_contain_text("your data is not used.")
    history = page.get_by_role("table", name="Every choice you or the hospital recorded")
    expect(history).to_contain_text("I said no")
    expect(history).to_contain_text("you, online")
    screenshot(page, "patient-objected")

    with page.expect_download() as download:
        page.get_by_role("link", name="Download my choices (FHIR Consent)").click()
    bundle = json.loads(download.value.path().read_text())
    assert bundle["resourceType"] == "Bundle"
    assert bundle["entry"][-1]["resource"]["resourceType"] == "Consent"

    password = live_server.accounts[PATIENT].password
    person = live_server.node_call(lambda n: _person_of(n, password))
    today = datetime.now(UTC).date()
    assert live_server.node_call(lambda n: n.consent.state(person, "research", today)) is False
    events = live_server.node_call(lambda n: list(n.audit.events("consent.record")))
    assert events[-1].actor == PATIENT and events[-1].role == "patient"


def _active_title(node: Node) -> str:
    for time in node.governance.decision_times():
        request, state = node.governance.request(time.request_id)
        if state == "active":
            return request.title
    raise AssertionError("no active project")


def _person_of(node: Node, password: str) -> int:
    """The pseudonymous person id the patient's account is linked to."""
    from socle.api import UserStore

    person = UserStore(node.engine, node.audit).authenticate(PATIENT, password).person_id
    assert person is not None
    return person


def test_patient_pages_are_refused_to_other_roles_and_the_refusal_is_audited(
    page: Page, live_server: LiveServer
) -> None:
    sign_in(page, live_server, "researcher@lab")
    response = page.goto(f"{live_server.url}/web/patient")
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("This is not open to you")
    events = live_server.node_call(lambda n: list(n.audit.events("access.denied")))
    assert events[-1].actor == "researcher@lab" and events[-1].object == "web:/web/patient"


def test_signed_out_visitor_is_sent_to_sign_in(live_server: LiveServer) -> None:
    response = httpx.get(f"{live_server.url}/web/patient")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/web/signin?next=/web/patient")
