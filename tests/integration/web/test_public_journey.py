"""The public journey (no sign-in): catalogue, register of approved projects, committee;
FR/EN; error pages; the security headers and CSRF of the pages."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import Page, expect

from socle.observatory import load_observatory_taxonomy
from tests.integration.web.conftest import LiveServer, no_serious_violations, screenshot


def test_visitor_finds_data_approved_projects_and_committee_rules(
    page: Page, live_server: LiveServer
) -> None:
    url = live_server.url
    page.goto(f"{url}/")  # the root leads to the pages
    expect(page.get_by_role("heading", level=1)).to_contain_text("Health data reused lawfully")
    no_serious_violations(page)

    page.get_by_role("link", name="Data catalogue").first.click()
    page.get_by_label("Variable").fill("condition_concept_id")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("table")).to_contain_text("Synthea")
    screenshot(page, "public-catalogue")
    no_serious_violations(page)
    page.get_by_role("table").get_by_role("link").first.click()
    population = page.locator("#population").inner_text()
    # A disclosed count: hidden below the threshold, else a multiple of 5, never exact.
    assert population.startswith("hidden") or int(population.replace(",", "")) % 5 == 0
    expect(page.get_by_role("table")).to_contain_text("condition_occurrence.condition_concept_id")
    screenshot(page, "public-dataset")
    no_serious_violations(page)

    page.get_by_role("link", name="Approved projects").first.click()
    title, state = live_server.node_call(_approved_project)
    expect(page.get_by_role("table")).to_contain_text(title)
    expect(page.get_by_role("table")).to_contain_text(state)
    screenshot(page, "public-register")
    no_serious_violations(page)

    # The observatory: published entries, a category's Top 10 drawn, an entry's live figures.
    page.get_by_role("link", name="Observatory of AI in health").first.click()
    published = live_server.node_call(lambda n: n.observatory.rankings.top("prediction"))
    expect(page.locator("#entries")).to_contain_text("published entries")
    category = load_observatory_taxonomy().categories["prediction"].title
    page.get_by_role("link", name=category, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(category)
    top = published.ranked[0]
    expect(page.locator("#top")).to_contain_text(top.name)
    expect(page.locator("p.chart img")).to_have_attribute("alt", re.compile("Bar chart"))
    screenshot(page, "public-observatory-top")
    no_serious_violations(page)
    page.locator("#top").get_by_role("link", name=top.name).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(top.name)
    no_serious_violations(page)

    page.get_by_role("link", name="Ethics and scientific committee").first.click()
    criteria = live_server.node_call(lambda n: list(n.governance.criteria.criteria.values()))
    for criterion in criteria:
        expect(page.get_by_role("table")).to_contain_text(criterion.title)
    expect(page.locator("dl")).to_contain_text("Requests decided")
    no_serious_violations(page)

    # Switched to French, the pages stay French.
    page.get_by_role("button", name="Français").click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", level=1)).to_have_text("Comité éthique et scientifique")
    page.get_by_role("link", name="Catalogue des données").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Catalogue des données")
    screenshot(page, "public-catalogue-fr")

    # The public dataset page was read as the anonymous public, and audited so.
    events = live_server.node_call(lambda n: list(n.audit.events()))
    assert any(e.actor == "anonymous" and "catalog" in e.action for e in events)


def _approved_project(node: object) -> tuple[str, str]:
    from socle.node import Node

    assert isinstance(node, Node)
    for time in node.governance.decision_times():
        request, state = node.governance.request(time.request_id)
        if state == "active":
            return request.title, "active"
    raise AssertionError("the demo has no approved project")


def test_browser_language_is_chosen_from_accept_language(live_server: LiveServer) -> None:
    fr = httpx.get(f"{live_server.url}/web/register", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    en = httpx.get(f"{live_server.url}/web/register", headers={"Accept-Language": "de, en;q=0.5"})
    assert '<html lang="fr">' in fr.text and "Projets autorisés" in fr.text
    assert '<html lang="en">' in en.text and "Approved projects" in en.text


def test_unknown_page_is_a_page_a_person_understands(live_server: LiveServer) -> None:
    response = httpx.get(f"{live_server.url}/web/no-such-page")
    assert response.status_code == 404
    assert "Page not found" in response.text and "Traceback" not in response.text
    assert response.headers["content-type"].startswith("text/html")


def test_a_form_without_its_csrf_token_is_refused(live_server: LiveServer) -> None:
    with httpx.Client(base_url=live_server.url) as client:
        client.get("/web/signin")  # the browser's CSRF cookie
        response = client.post(
            "/web/signin", data={"username": "patient@portal", "password": "x", "csrf": "forged"}
        )
    assert response.status_code == 403
    assert "not sent from a page of this site" in response.text
    assert "socle_session" not in response.headers.get("set-cookie", "")


def test_session_cookie_is_httponly_and_samesite(live_server: LiveServer) -> None:
    account = live_server.accounts["patient@portal"]
    with httpx.Client(base_url=live_server.url) as client:
        client.get("/web/signin")
        csrf = client.cookies["socle_csrf"]
        response = client.post(
            "/web/signin",
            data={"username": account.username, "password": account.password, "csrf": csrf},
        )
    cookie = next(
        c for c in response.headers.get_list("set-cookie") if c.startswith("socle_session=")
    )
    assert response.status_code == 303
    assert re.search(r"(?i)httponly", cookie) and re.search(r"(?i)samesite=lax", cookie)
    assert "secure" not in cookie.lower()  # plain HTTP on loopback; Secure behind TLS
    assert (
        "frame-ancestors 'none'"
        in httpx.get(f"{live_server.url}/web/").headers["content-security-policy"]
    )
