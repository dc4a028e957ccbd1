"""The output checkers', the clinician's, the auditor's, the steward's and the college's
journeys, on one live server."""

from __future__ import annotations

import re
import shutil

from playwright.sync_api import Page, expect

from socle.node import Node
from tests.conftest import SAMPLE
from tests.integration.web.conftest import (
    LiveServer,
    no_serious_violations,
    screenshot,
    sign_in,
)

CHECKERS = ("checker1@output-desk", "checker2@output-desk")
CLINICIAN, AUDITOR, STEWARD = "dr.house@hospital", "auditor@hospital", "steward@hospital"
COLLEGE = "college.chair@hospital"


def _asked_output(node: Node) -> str:
    """The researcher asks the desk for a table of counts under the demo's grant."""
    grant = next(iter(node.audit.events("grant.issue"))).object
    out = node.workspace.condition_counts(grant, "SNOMED|73595000", ["sex"], actor="researcher@lab")
    return out.id


def test_two_output_checkers_release_an_output_at_the_desk(
    page: Page, live_server: LiveServer
) -> None:
    output_id = live_server.node_call(_asked_output)
    for i, checker in enumerate(CHECKERS):
        sign_in(page, live_server, checker)
        expect(page.get_by_role("heading", level=1)).to_have_text("The release desk")
        page.get_by_role("link", name=output_id).click()
        expect(page.get_by_role("table").first).to_contain_text("threshold")
        if i == 0:
            screenshot(page, "checker-desk")
            no_serious_violations(page)
        page.get_by_label("approved").check()
        page.get_by_label("Reasons (published with the decision)").fill("Suppression verified.")
        page.get_by_role("button", name="Record my decision").click()
        expect(page.locator("#desk-reviews")).to_contain_text(checker)
        page.get_by_role("button", name="Sign out").click()
    out = live_server.node_call(lambda n: n.desk.get(output_id))
    assert out.state == "released" and {r.checker for r in out.reviews} == set(CHECKERS)
    events = live_server.node_call(lambda n: list(n.audit.events()))
    checked = {(e.actor, e.role) for e in events if e.object == output_id}
    assert {(c, "output_checker") for c in CHECKERS} <= checked


def test_clinician_amends_a_pending_prediction_with_a_reason(
    page: Page, live_server: LiveServer
) -> None:
    sign_in(page, live_server, CLINICIAN)
    expect(page.get_by_role("heading", level=1)).to_have_text("Predictions to validate")
    section = page.locator("section.purpose").first
    prediction_id = (section.get_attribute("id") or "").removeprefix("prediction-")
    expect(section).to_contain_text("What drove this prediction")
    screenshot(page, "clinician-predictions")
    no_serious_violations(page)
    section.locator("input[name=amended_score]").fill("30")
    section.get_by_label("Amend", exact=True).check()
    section.get_by_label("Reason").fill("Recent blood pressure readings are normal.")
    section.get_by_role("button", name="Record my decision").click()
    expect(page.locator(f"#prediction-{prediction_id}")).to_have_count(0)
    prediction = live_server.node_call(lambda n: n.guarantee.get(prediction_id))
    assert prediction.status == "amended" and prediction.decided_by == CLINICIAN
    events = live_server.node_call(lambda n: list(n.audit.events("prediction.amended")))
    assert events[-1].actor == CLINICIAN and events[-1].object == prediction_id


def test_auditor_searches_verifies_and_traces_a_release(
    page: Page, live_server: LiveServer
) -> None:
    sign_in(page, live_server, AUDITOR)
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit log")
    page.get_by_label("Action").fill("grant.issue")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#events")).to_contain_text("chair@committee")
    no_serious_violations(page)
    released = live_server.node_call(lambda n: n.desk.requests(state="released")[-1].id)
    page.get_by_label("Release to trace back to its decision").fill(released)
    page.get_by_role("button", name="Trace").click()
    expect(page.locator("#trace-table")).to_contain_text("grant.issue")
    screenshot(page, "auditor-trace")
    page.get_by_role("button", name="Verify the whole chain").click()
    expect(page.locator("#verified")).to_contain_text("The chain verifies")
    count = live_server.node_call(lambda n: n.audit.verify().events)
    assert count > 0


def test_steward_loads_a_folder_and_sees_it_reconciled_with_its_quarantine(
    page: Page, live_server: LiveServer
) -> None:
    inbox = live_server.app.state.import_dir / "new-batch"
    inbox.mkdir(parents=True, exist_ok=True)
    shutil.copy(sorted(SAMPLE.glob("*.json.gz"))[0], inbox)
    (inbox / "broken.json").write_text('{"resourceType": "Bundle", "entry": [')
    sign_in(page, live_server, STEWARD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Data stewardship")
    expect(page.locator("#vocabulary")).to_contain_text("% of coded rows")
    expect(page.locator("#consent-stats")).to_contain_text("Public-interest research")
    page.get_by_label("File or folder in the import folder").fill("new-batch")
    page.get_by_role("button", name="Load").click()
    # The load runs as a job; its page shows the files read and reloads itself until done.
    expect(page.locator("#load-progress")).to_contain_text("Load job-")
    table = page.locator("#reconciliation")
    expect(table).to_contain_text("Reconciliation of load", timeout=120_000)
    expect(page.locator("#files-progress")).to_have_attribute("value", "2")
    cells = [c.inner_text() for c in table.locator("tbody td").all()]
    read, loaded, quarantined, skipped = (int(c.replace(",", "")) for c in cells[1:5])
    assert read == loaded + quarantined + skipped and quarantined >= 1
    screenshot(page, "steward-load")
    no_serious_violations(page)
    events = live_server.node_call(lambda n: list(n.audit.events("warehouse.load")))
    assert events[-1].actor == STEWARD and events[-1].role == "data_steward"


def test_college_reads_the_monitoring_draws_a_sample_and_restores_a_suspended_model(
    page: Page, live_server: LiveServer
) -> None:
    model = live_server.node_call(
        lambda n: next(m for m in n.models.models() if m.stage == "suspended")
    )
    sign_in(page, live_server, COLLEGE)
    expect(page.get_by_role("heading", level=1)).to_have_text("Human guarantee college")
    expect(page.locator("#models")).to_contain_text("suspended")
    no_serious_violations(page)
    page.locator("#models").get_by_role("link", name=model.label).click()
    expect(page.locator("#stage")).to_contain_text("suspended")
    expect(page.locator("#overrides")).to_contain_text("All clinicians")
    charts = page.locator("p.chart img")
    expect(charts.first).to_have_attribute("alt", re.compile("override rates"))
    assert charts.count() >= 2  # override rates and drift (calibration with linked outcomes)
    screenshot(page, "college-monitoring")
    no_serious_violations(page)

    page.get_by_label("Cases to draw").fill("5")
    page.get_by_role("button", name="Draw a random sample").click()
    expect(page.locator("#sample tbody tr")).to_have_count(5)
    page.locator("#sample").scroll_into_view_if_needed()
    screenshot(page, "college-review")

    page.get_by_label("Decision", exact=True).select_option("deploy")
    page.get_by_label("Reason (kept with the decision and in the audit log)").fill(
        "Drift explained by the unit change; inputs converted since. Restored under review."
    )
    page.get_by_role("button", name="Record the decision").click()
    expect(page.locator("#stage")).to_contain_text("deployed in care")
    expect(page.locator("#college-decisions")).to_contain_text(COLLEGE)
    info = live_server.node_call(lambda n: n.models.info(model.id))
    assert info.stage == "deployed"
    decided = live_server.node_call(lambda n: list(n.audit.events("college.decision")))
    assert (decided[-1].actor, decided[-1].role, decided[-1].object) == (
        COLLEGE,
        "college_member",
        model.id,
    )
    reviewed = live_server.node_call(lambda n: list(n.audit.events("college.review")))
    assert reviewed[-1].actor == COLLEGE
