"""Test helpers for the API: an app on a fresh node, users of every role, tokens."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from pydantic import SecretStr

from socle.api import ApiSettings, Principal, Role, create_app
from socle.config import Settings

PASSWORD = "correct horse battery staple"


@contextmanager
def api_client(home: Path, governance_url: str | None = None) -> Iterator[TestClient]:
    """A client of a freshly started app (lifespan run) on the node at ``home``."""
    settings = Settings(home=home, governance_url=governance_url)
    app = create_app(settings, ApiSettings(jwt_secret=SecretStr(secrets.token_urlsafe(40))))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def token_for(client: TestClient, principal: Principal) -> dict[str, str]:
    """Authorization header for a principal, signed by the app's own issuer."""
    issuer = client.app.state.issuer  # type: ignore[attr-defined]
    return {"Authorization": f"Bearer {issuer.issue(principal)}"}


def add_user(client: TestClient, username: str, roles: set[Role], **kwargs: Any) -> None:
    users, runner = client.app.state.users, client.app.state.runner  # type: ignore[attr-defined]
    runner.call_sync(
        lambda n: users.create(username, PASSWORD, frozenset(roles), actor="setup", **kwargs)
    )


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> dict[str, str]:
    response = client.post("/auth/token", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@contextmanager
def served(app: Any, port: int) -> Iterator[str]:
    """Run ``app`` under uvicorn on 127.0.0.1:``port`` in a thread; yield its base URL."""
    import threading
    import time

    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def fixed_pseudonym_key(home: Path, key: bytes = bytes(range(32))) -> None:
    """Pin the node's pseudonym key so person ids, hence the model's train/test split by
    person, are the same on every run (a fresh random key may leave one class in a split)."""
    import os

    secrets_dir = home / "secrets"
    secrets_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(secrets_dir / "pseudonym.key", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key)
