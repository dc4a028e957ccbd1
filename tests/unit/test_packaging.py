"""What ``pip install`` ships: the demo's sample travels with the package."""

from __future__ import annotations

import tomllib
from pathlib import Path

from socle.demo import bundled_sample
from tests.conftest import REPO, SAMPLE


def test_the_bundled_sample_is_the_repository_sample() -> None:
    bundles = sorted(p.name for p in bundled_sample().rglob("*.json.gz"))
    assert len(bundles) >= 50
    assert bundles == sorted(p.name for p in SAMPLE.rglob("*.json.gz"))


def test_package_data_puts_every_sample_file_in_the_wheel() -> None:
    """The globs of pyproject.toml (what setuptools copies into the wheel) match every file."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["socle"]
    package = REPO / "src" / "socle"
    shipped = {p for pattern in patterns for p in package.glob(pattern)}
    files = [p for p in bundled_sample().rglob("*") if p.is_file()]
    assert files and all(package / "sample" / f.relative_to(bundled_sample()) in shipped
                         for f in files)  # fmt: skip
    assert Path(package / "sample" / "SOURCE.md") in shipped
