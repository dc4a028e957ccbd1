"""Accounts and the door: password policy, secret entropy, sign-in throttling, body cap,
malformed tokens, and refusals in the audit log."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from socle.api import ApiSettings, Role, UserStore, create_app, jwt_secret
from socle.api.errors import TooManyAttemptsError, WeakPasswordError
from socle.api.throttle import SignInThrottle
from socle.config import Settings
from socle.errors import ConfigError
from socle.node import Node
from tests.apiclient import PASSWORD, add_user, api_client, sign_in


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with api_client(tmp_path / "home") as c:
        add_user(c, "admin", {Role.ADMINISTRATOR})
        add_user(c, "alice", {Role.RESEARCHER})
        yield c


# -- 19. passwords and secrets --------------------------------------------------------------


@pytest.mark.parametrize(
    "password",
    ["x", "short-pw-1", "password1234", "aaaaaaaaaaaaaaaa", "qwertyuiop123", "administrator1"],
)
def test_weak_or_common_password_is_refused(node: Node, password: str) -> None:
    users = UserStore(node.engine, node.audit)
    with pytest.raises(WeakPasswordError, match="password for 'admin2' refused") as caught:
        users.create("admin2", password, frozenset({Role.ADMINISTRATOR}), actor="setup")
    assert password not in caught.value.message
    assert users.count() == 0 and not list(node.audit.events("user.create"))


def test_api_refuses_a_one_character_administrator_password(client: TestClient) -> None:
    body = {"username": "root2", "password": "a", "roles": ["administrator"]}
    refused = client.post("/users", json=body, headers=sign_in(client, "admin"))
    assert refused.status_code == 422 and "at least 12 characters" in refused.json()["detail"]


def test_long_unguessable_password_is_accepted(node: Node) -> None:
    users = UserStore(node.engine, node.audit)
    users.create("bob", "violet tractor mango quietly", frozenset({Role.AUDITOR}), actor="setup")
    assert users.authenticate("bob", "violet tractor mango quietly").subject == "bob"


@pytest.mark.parametrize("secret", ["a" * 32, "ab" * 24, "0123456789" * 4])
def test_predictable_jwt_secret_is_refused(tmp_path: Path, secret: str) -> None:
    with pytest.raises(ConfigError, match="too predictable"):
        jwt_secret(ApiSettings(jwt_secret=SecretStr(secret)), tmp_path)


def test_random_jwt_secret_is_accepted(tmp_path: Path) -> None:
    secret = secrets.token_urlsafe(48)
    assert jwt_secret(ApiSettings(jwt_secret=SecretStr(secret)), tmp_path) == secret


# -- 20. throttling and the body cap ------------------------------------------------------------


def test_repeated_wrong_passwords_lock_the_account_even_for_the_right_one(
    client: TestClient,
) -> None:
    for _ in range(5):
        wrong = client.post("/auth/token", json={"username": "alice", "password": "nope" * 4})
        assert wrong.status_code == 401
    locked = client.post("/auth/token", json={"username": "alice", "password": PASSWORD})
    assert locked.status_code == 429
    assert 0 < int(locked.headers["Retry-After"]) <= 900
    assert "try again in" in locked.json()["detail"]


def test_one_client_guessing_many_accounts_is_throttled(client: TestClient) -> None:
    for n in range(20):
        client.post("/auth/token", json={"username": f"user{n}", "password": "nope" * 4})
    assert (
        client.post("/auth/token", json={"username": "admin", "password": PASSWORD}).status_code
        == 429
    )


def test_throttle_forgets_failures_after_the_window() -> None:
    now = [1000.0]
    throttle = SignInThrottle(account_failures=2, window_seconds=60, clock=lambda: now[0])
    throttle.failed("alice", "10.0.0.1")
    throttle.failed("alice", "10.0.0.2")
    with pytest.raises(TooManyAttemptsError) as caught:
        throttle.check("alice", "10.0.0.3")
    assert caught.value.retry_after == 60
    now[0] += 61
    throttle.check("alice", "10.0.0.3")


def test_success_clears_the_account_count() -> None:
    throttle = SignInThrottle(account_failures=2)
    throttle.failed("alice", "c")
    throttle.succeeded("alice")
    throttle.failed("alice", "c")
    throttle.check("alice", "c")


def test_oversized_body_is_refused_with_413_before_it_is_read(tmp_path: Path) -> None:
    app = create_app(
        Settings(home=tmp_path / "home"),
        ApiSettings(jwt_secret=SecretStr(secrets.token_urlsafe(40)), max_body_bytes=4096),
    )
    with TestClient(app, raise_server_exceptions=False) as c:
        big = b'{"username": "' + b"x" * 10_000 + b'", "password": "p"}'
        declared = c.post("/auth/token", content=big, headers={"content-type": "application/json"})
        assert declared.status_code == 413 and "4096 bytes" in declared.json()["detail"]

        def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it streams
            yield b'{"username": "'
            for _ in range(10):
                yield b"x" * 1000
            yield b'", "password": "p"}'

        streamed = c.post(
            "/auth/token", content=chunks(), headers={"content-type": "application/json"}
        )
        assert streamed.status_code == 413
        ok = c.post("/auth/token", json={"username": "nobody", "password": "p" * 12})
        assert ok.status_code == 401


# -- 21. malformed claims in a validly signed token -----------------------------------------------


@pytest.mark.parametrize(
    "claims",
    [
        {"roles": None},
        {"roles": "administrator"},
        {"roles": [1, 2]},
        {"roles": [["auditor"]]},
        {"person_id": "seven"},
        {"person_id": [7]},
        {"care_contexts": "gp-clinic"},
        {"care_contexts": [None]},
        {"sub": 42},
        {"sub": ""},
    ],
)
def test_signed_token_with_a_malformed_claim_is_a_401(
    client: TestClient, claims: dict[str, object]
) -> None:
    issuer = client.app.state.issuer  # type: ignore[attr-defined]
    now = datetime.now(UTC)
    payload = {"sub": "alice", "iss": issuer.issuer, "iat": now, "exp": now + timedelta(minutes=5),
               "roles": ["auditor"], **claims}  # fmt: skip
    token = jwt.encode(payload, issuer._secret, algorithm="HS256")
    response = client.get("/audit/verification", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401, response.text


# -- refusals are audited -----------------------------------------------------------------------


def test_refused_requests_are_audited_with_the_caller(client: TestClient) -> None:
    assert client.get("/audit/events").status_code == 401
    assert client.get("/audit/events", headers=sign_in(client, "alice")).status_code == 403
    client.post("/auth/token", json={"username": "alice", "password": "wrong password!"})
    events = client.app.state.runner.call_sync(  # type: ignore[attr-defined]
        lambda n: list(n.audit.events("access.denied"))
    )
    seen = [(e.actor, e.role, e.object, e.details["status"], e.outcome) for e in events]
    assert seen == [
        ("anonymous", "none", "audit.events", 401, "denied"),
        ("alice", "researcher", "audit.events", 403, "denied"),
        ("anonymous", "none", "auth.token", 401, "denied"),
    ]
    assert "wrong password!" not in str([e.details for e in events])
