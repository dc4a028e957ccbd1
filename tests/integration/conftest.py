"""Fixtures of the integration tests: the governance store on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.postgres import fresh_database, postgres_server


@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str]:
    with postgres_server() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def governance_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same contract tests run against every governance store."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'governance.sqlite'}"
    return fresh_database(request.getfixturevalue("postgres_admin_url"))
