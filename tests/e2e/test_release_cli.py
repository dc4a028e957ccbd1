"""``socle release``: a researcher checks and requests, two output checkers release, in-process."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from socle.cli import app
from socle.config import Settings
from socle.node import Node
from tests.helpers import approved_grant

CONDITION = "SNOMED|73595000"


def _socle(home: Path, *args: str) -> str:
    result = CliRunner().invoke(app, [*args, "--home", str(home)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_researcher_checks_requests_and_two_checkers_release(loaded: Node) -> None:
    grant_id = approved_grant(loaded)
    home = loaded.settings.home
    loaded.close()

    report = _socle(home, "release", "check", grant_id, "--condition", CONDITION, "--by", "sex")
    assert "threshold" in report and "differencing" in report
    requested = _socle(
        home, "release", "request", grant_id, "--condition", CONDITION, "--by", "sex"
    )
    request_id = requested.split()[0]
    assert request_id.startswith("out-") and "(submitted)" in requested
    for checker in ("oc1", "oc2"):
        _socle(home, "release", "appoint", checker)
    assert request_id in _socle(home, "release", "queue")
    shown = _socle(home, "release", "show", request_id, "--actor", "oc1")
    assert "sex | persons" in shown  # the checker sees the values beside the checks
    assert "in_review" in _socle(
        home, "release", "review", request_id, "--decision", "approved", "--actor", "oc1"
    )
    released = _socle(
        home, "release", "review", request_id, "--decision", "approved", "--actor", "oc2"
    )
    assert "released" in released
    node = Node.open(Settings(home=home))
    try:
        folder = node.desk.get(request_id).folder
        assert folder is not None and any(folder.glob("*.csv"))
        assert node.desk.ledger(node.desk.get(request_id).project)
    finally:
        node.close()
    assert "safe_threshold = 10" in _socle(home, "release", "policy")


def test_a_checker_on_the_team_is_refused_with_a_clear_error(loaded: Node) -> None:
    grant_id = approved_grant(loaded)
    home = loaded.settings.home
    loaded.close()
    request_id = _socle(
        home, "release", "request", grant_id, "--condition", CONDITION, "--by", "sex"
    ).split()[0]
    _socle(home, "release", "appoint", "researcher")
    result = CliRunner().invoke(
        app, ["release", "review", request_id, "--decision", "approved", "--actor", "researcher",
              "--home", str(home)],
    )  # fmt: skip
    assert result.exit_code != 0
    assert "independent" in result.output
