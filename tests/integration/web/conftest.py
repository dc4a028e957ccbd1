"""Browser tests: one Chromium for the session, a live server per module on demo data.

The demo (``socle demo``) runs once per test run (shared by the xdist workers) into a home that each
module copies, so modules may change state without meeting each other. Each module
gets its own ``socle`` app under uvicorn on a free loopback port (pytest-xdist safe);
tests check the final state through that app's own node (database and audit log).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright

from socle.api import create_app
from socle.config import Settings
from socle.demo import bundled_sample, source_patient_ids
from socle.node import Node
from socle.web.accounts import Account, create_demo_accounts
from tests.conftest import REPO, built_once, socle_demo

CHROMIUM = "/usr/bin/chromium"
# The guides' screenshots are rewritten only when asked (SOCLE_SCREENSHOTS=1); otherwise a run
# still takes them, into a temporary folder, and leaves the working tree clean.
SCREENSHOTS = (
    REPO / "docs" / "guides" / "img"
    if os.environ.get("SOCLE_SCREENSHOTS") == "1"
    else Path(tempfile.gettempdir()) / "socle-screenshots"
)
T = TypeVar("T")


@dataclass
class DemoHome:
    home: Path
    accounts: dict[str, Account]  # by user name


@pytest.fixture(scope="session")
def demo_home(tmp_path_factory: pytest.TempPathFactory) -> DemoHome:
    """``socle demo``'s home with one account per role, built once per test run."""

    def build(work: Path) -> None:
        demo, run = socle_demo(tmp_path_factory)
        assert run.returncode == 0, run.stderr
        shutil.copytree(demo, work / "home")
        node = Node.open(Settings(home=work / "home"))
        try:
            # A patient who did not object in the demo (objectors are every 8th), so their
            # data reached the demo's approved project.
            accounts = create_demo_accounts(node, source_patient_ids(bundled_sample())[1])
        finally:
            node.close()
        (work / "accounts.json").write_text(json.dumps([asdict(a) for a in accounts]))

    built = built_once(tmp_path_factory, "web-demo", build)
    accounts = [Account(**a) for a in json.loads((built / "accounts.json").read_text())]
    return DemoHome(built / "home", {a.username: a for a in accounts})


@dataclass
class LiveServer:
    url: str
    app: Any
    accounts: dict[str, Account]

    def node_call(self, fn: Callable[[Node], T]) -> T:
        """Run ``fn`` on the server's own node (its database and audit log)."""
        result: T = self.app.state.runner.call_sync(fn)
        return result


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def live_server(
    demo_home: DemoHome, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    home = tmp_path_factory.mktemp("web-live") / "home"
    shutil.copytree(demo_home.home, home)
    app = create_app(Settings(home=home))
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the live server did not start within 60 s")
        time.sleep(0.05)
    yield LiveServer(f"http://127.0.0.1:{port}", app, demo_home.accounts)
    server.should_exit = True
    thread.join(timeout=30)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    yield tab
    context.close()


def sign_in(page: Page, server: LiveServer, username: str) -> None:
    page.goto(f"{server.url}/web/signin")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(server.accounts[username].password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def no_serious_violations(page: Page) -> None:
    """axe-core in the page: no serious or critical accessibility violation."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    serious = [
        f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes)"
        for v in results.response["violations"]
        if v.get("impact") in ("serious", "critical")
    ]
    assert serious == [], f"{page.url}: {serious}"


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=False)
