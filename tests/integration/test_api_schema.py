"""Schemathesis against /openapi.json on loopback: no input makes the server fail (no 5xx).

Requests carry a token holding every role, so generated input reaches the
services behind the authorisation layer. Bounded: a few examples per operation.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from pydantic import SecretStr
from schemathesis.checks import not_a_server_error

from socle.api import ALL_ROLES, ApiSettings, LocalIssuer, Principal, create_app
from socle.config import Settings
from tests.apiclient import served
from tests.integration.postgres import _free_port

SECRET = secrets.token_urlsafe(40)
EVERY_ROLE = Principal("fuzzer", ALL_ROLES, person_id=7, care_contexts=("ward-a",))


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home: Path = tmp_path_factory.mktemp("schema") / "home"
    app = create_app(Settings(home=home), ApiSettings(jwt_secret=SecretStr(SECRET)))
    with served(app, _free_port()) as url:
        yield url


@pytest.fixture(scope="module")
def api_schema(base_url: str) -> schemathesis.schemas.BaseSchema:
    return schemathesis.openapi.from_url(f"{base_url}/openapi.json")


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_input_makes_the_server_fail(case: schemathesis.Case, base_url: str) -> None:  # type: ignore[type-arg]
    token = LocalIssuer(SECRET, "socle-local", 5).issue(EVERY_ROLE)
    case.call_and_validate(
        base_url=base_url, headers={"Authorization": f"Bearer {token}"},
        checks=[not_a_server_error],
    )  # fmt: skip
