"""Every ``socle`` command shown in the catalogue, governance, audit, observatory, college and
clinician docs exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from socle.cli import app

DOCS = Path(__file__).resolve().parents[2] / "docs"
COMMAND = re.compile(r"^socle ((?:[a-z][a-z-]*)(?: [a-z][a-z-]*)?)", re.MULTILINE)


def _documented() -> list[str]:
    found = set()
    for name in (
        "catalog.md",
        "governance.md",
        "audit.md",
        "observatory.md",
        "guides/college.md",
        "guides/clinician.md",
    ):
        found.update(COMMAND.findall((DOCS / name).read_text()))
    return sorted(found)


def test_docs_show_the_commands() -> None:
    assert len(_documented()) >= 15


@pytest.mark.parametrize("command", _documented())
def test_documented_command_exists(command: str) -> None:
    result = CliRunner().invoke(app, [*command.split(), "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output
