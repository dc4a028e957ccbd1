"""The docs stay true: the README's commands exist, links resolve, documented commands parse."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from socle.cli import app
from tests.conftest import REPO

DOCS = [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]


def test_the_two_commands_are_make_targets_and_ci_runs_the_test_one() -> None:
    readme = (REPO / "README.md").read_text()
    makefile = (REPO / "Makefile").read_text()
    for target in ("demo", "test"):
        assert f"make {target}" in readme
        assert re.search(rf"^{target}:", makefile, re.M)
    ci = [
        line for line in (REPO / ".ci" / "run").read_text().splitlines() if line and line[0] != "#"
    ]
    assert "make test" in ci


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_relative_links_resolve(doc: Path) -> None:
    for target in re.findall(r"\]\(([^)#:]+)\)", doc.read_text()):
        assert (doc.parent / target).exists(), f"{doc.name} links to missing {target}"


def _documented_commands() -> list[list[str]]:
    commands = []
    for doc in DOCS:
        for block in re.findall(r"```sh\n(.*?)```", doc.read_text(), re.S):
            for line in block.splitlines():
                line = line.split("#", 1)[0].strip().removesuffix("\\").strip()  # continued
                if line.startswith("socle "):
                    words = shlex.split(line)[1:]
                    commands.append([w for w in words if not w.startswith("-")][:2])
    return commands


def test_every_documented_socle_command_exists() -> None:
    runner = CliRunner()
    commands = _documented_commands()
    assert len(commands) >= 8
    for words in commands:
        path = [w for w in words if w.islower() and w.replace("-", "").isalpha()]
        result = runner.invoke(app, [*path, "--help"])
        assert result.exit_code == 0, f"`socle {' '.join(path)}` is documented but does not exist"
