"""``socle serve`` starts uvicorn on loopback; a default JWT secret stops it before it listens."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.conftest import REPO
from tests.integration.postgres import _free_port

SOCLE = [sys.executable, "-c", "from socle.cli import main; main()"]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOCLE_")}
    return {**env, **extra}


def test_serve_answers_on_loopback_and_publishes_openapi(tmp_path: Path) -> None:
    port = _free_port()
    server = subprocess.Popen(
        [*SOCLE, "serve", "--home", str(tmp_path / "home"), "--port", str(port)],
        cwd=REPO, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                health = httpx.get(f"{base}/health", timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None, server.stdout.read() if server.stdout else ""
                assert time.monotonic() < deadline, "socle serve did not start in 60 s"
                time.sleep(0.3)
        assert health.json() == {"status": "ok"}
        spec = httpx.get(f"{base}/openapi.json", timeout=5).json()
        assert "/consent/check" in spec["paths"]
        assert httpx.get(f"{base}/docs", timeout=5).status_code == 200
        assert httpx.get(f"{base}/audit/events", timeout=5).status_code == 401
        assert (tmp_path / "home" / "secrets" / "jwt.key").stat().st_mode & 0o077 == 0
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_serve_refuses_a_default_secret(tmp_path: Path) -> None:
    result = subprocess.run(
        [*SOCLE, "serve", "--home", str(tmp_path / "home"), "--port", str(_free_port())],
        cwd=REPO, env=_env(SOCLE_JWT_SECRET="changethis"), capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip
    assert result.returncode == 2
    assert "known default" in result.stderr
    assert "Traceback" not in result.stderr


def test_user_add_creates_an_account_that_can_sign_in(tmp_path: Path) -> None:
    home = tmp_path / "home"
    result = subprocess.run(
        [*SOCLE, "user-add", "ann", "--role", "auditor", "--home", str(home)],
        cwd=REPO, env=_env(SOCLE_USER_PASSWORD="a long enough password"), capture_output=True,
        text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "user 'ann' created with roles auditor" in result.stdout
    from socle.api import UserStore
    from socle.config import Settings
    from socle.node import Node

    node = Node.open(Settings(home=home))
    try:
        principal = UserStore(node.engine, node.audit).authenticate("ann", "a long enough password")
        assert principal.roles == {"auditor"}
    finally:
        node.close()
