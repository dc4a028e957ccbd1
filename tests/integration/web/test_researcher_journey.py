"""The researcher's journey: write and submit a request, then work under the demo's grant:
run a query, check a table, ask for its release, and download a released output."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from socle.node import Node
from tests.integration.web.conftest import (
    LiveServer,
    no_serious_violations,
    screenshot,
    sign_in,
)

RESEARCHER = "researcher@lab"
CONDITION = "SNOMED|73595000"  # the demo's condition (stress)
JOB_SCRIPT = """import pandas as pd
persons = pd.read_parquet("/job/extract/person.parquet")
pd.DataFrame({"persons": [len(persons)]}).to_csv("/job/output/persons.csv", index=False)
"""


def test_researcher_files_a_request_and_works_under_a_grant(
    page: Page, live_server: LiveServer
) -> None:
    sign_in(page, live_server, RESEARCHER)
    expect(page.get_by_role("heading", level=1)).to_have_text("My projects")
    no_serious_violations(page)

    page.get_by_role("link", name="Write a new request").click()
    page.get_by_label("Project title").fill("Asthma and air quality")
    page.get_by_label("Sponsor").fill("Regional public health observatory")
    page.get_by_label("Public interest").fill("Better prevention of asthma attacks.")
    page.get_by_label("Variable 1", exact=True).select_option("person.year_of_birth")
    page.get_by_label("Why variable 1 is needed").fill("Age is the main confounder.")
    page.get_by_label("Variable 2", exact=True).select_option(
        "condition_occurrence.condition_concept_id"
    )
    page.get_by_label("Why variable 2 is needed").fill("Identifies asthma diagnoses.")
    page.get_by_label("Team").fill("researcher@lab:principal_investigator")
    screenshot(page, "researcher-request")
    no_serious_violations(page)
    page.get_by_role("button", name="Save the draft").click()
    expect(page.locator("#state")).to_have_text("draft")
    page.get_by_role("button", name="Submit to the committee").click()
    expect(page.locator("#state")).to_have_text("checked")
    expect(page.get_by_role("table", name="Automatic checks")).to_contain_text("passed")
    screenshot(page, "researcher-submitted")

    request_id = page.url.rstrip("/").split("/")[-2]
    state = live_server.node_call(lambda n: n.governance.request(request_id)[1])
    assert state == "checked"
    actors = live_server.node_call(lambda n: _actors(n, request_id))
    assert ("researcher@lab", "request.create") in actors

    # Under the demo's active grant: the workspace.
    page.get_by_role("link", name="My projects").first.click()
    page.get_by_role("link", name="Workspace").first.click()
    page.get_by_label("Name of the result").fill("adults")
    page.get_by_label("SQL (one SELECT on the scoped_ views)").fill(
        "SELECT person_id FROM scoped_person WHERE year_of_birth < 2000"
    )
    page.get_by_role("button", name="Run").click()
    expect(page.locator("#query-result")).to_contain_text("Result 'adults' kept in the workspace")
    page.get_by_label("Condition code").fill(CONDITION)
    page.get_by_role("button", name="Check it first").click()
    expect(page.locator("#check-report")).to_contain_text("Checks of the release desk")
    screenshot(page, "researcher-workspace")
    no_serious_violations(page)
    before = live_server.node_call(lambda n: len(n.desk.requests()))
    page.get_by_label("Condition code").fill(CONDITION)
    page.get_by_role("button", name="Ask for its release").click()
    expect(page.locator("#outputs")).to_contain_text("waiting for checkers")
    assert live_server.node_call(lambda n: len(n.desk.requests())) == before + 1
    newest = live_server.node_call(lambda n: n.desk.requests()[0])
    assert newest.requester == RESEARCHER and newest.state == "submitted"

    # A sandboxed job on the grant's extract, followed until it ends (the page reloads itself).
    page.get_by_label("Script file name").fill("count_persons.py")
    page.get_by_label("Python script").fill(JOB_SCRIPT)
    page.get_by_role("button", name="Launch the job").click()
    expect(page.locator("#job-state")).to_contain_text("succeeded", timeout=120_000)
    expect(page.locator("#job-outputs")).to_contain_text("persons.csv")
    screenshot(page, "researcher-job")
    no_serious_violations(page)
    job_id = page.url.rstrip("/").split("/")[-1]
    job = live_server.node_call(lambda n: n.workspace.jobs.job(job_id))
    assert job.state == "succeeded" and job.actor == RESEARCHER
    page.get_by_role("link", name="The grant's workspace").click()
    expect(page.locator("#jobs")).to_contain_text(job_id)

    with page.expect_download() as download:
        page.locator("#outputs").get_by_role("link").first.click()
    assert download.value.suggested_filename.endswith(".csv")
    assert (
        "suppressed" in download.value.path().read_text()
        or "," in download.value.path().read_text()
    )


def _actors(node: Node, request_id: str) -> list[tuple[str, str]]:
    return [(e.actor, e.action) for e in node.audit.events() if e.object == request_id]
