"""``socle serve`` starts uvicorn on loopback; a default JWT secret stops it before it listens."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.conftest import REPO, SAMPLE
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
        deadline = time.monotonic() + 120  # generous: the suite may share a loaded machine
        while True:
            try:
                health = httpx.get(f"{base}/health", timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None, server.stdout.read() if server.stdout else ""
                assert time.monotonic() < deadline, "socle serve did not start in 120 s"
                time.sleep(0.3)
        assert health.json() == {"status": "ok"}
        # The first /openapi.json builds the schema of every route: seconds on a loaded machine.
        spec = httpx.get(f"{base}/openapi.json", timeout=60).json()
        assert "/consent/check" in spec["paths"]
        assert httpx.get(f"{base}/docs", timeout=60).status_code == 200
        assert httpx.get(f"{base}/audit/events", timeout=60).status_code == 401
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


def test_several_workers_need_the_postgresql_store(tmp_path: Path) -> None:
    result = subprocess.run(
        [*SOCLE, "serve", "--home", str(tmp_path / "home"), "--workers", "2"],
        cwd=REPO, env=_env(), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2 and "needs the PostgreSQL governance store" in result.stderr
    assert "Traceback" not in result.stderr


def test_two_workers_share_the_postgresql_store(tmp_path: Path, postgres_admin_url: str) -> None:
    """Every worker process answers: a job started on one is seen by whichever serves the poll;
    a load is refused, with the reason, since the warehouse is read-only under workers."""
    from tests.integration.postgres import fresh_database

    home, port = tmp_path / "home", _free_port()
    env = _env(SOCLE_GOVERNANCE_URL=fresh_database(postgres_admin_url))
    added = subprocess.run(
        [*SOCLE, "user-add", "ann", "--role", "data_steward", "--home", str(home)],
        env={**env, "SOCLE_USER_PASSWORD": "a long enough password"}, capture_output=True,
        text=True, timeout=60,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    (home / "inbox").mkdir()
    bundle = sorted(SAMPLE.glob("*.json.gz"))[0]
    (home / "inbox" / bundle.name).write_bytes(bundle.read_bytes())
    server = subprocess.Popen(
        [*SOCLE, "serve", "--home", str(home), "--port", str(port), "--workers", "2"],
        env=env, stdout=subprocess.DEVNULL, stderr=(tmp_path / "server.log").open("wb"),
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while True:
            try:
                httpx.get(f"{base}/health", timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None, (tmp_path / "server.log").read_text()
                assert time.monotonic() < deadline, "socle serve did not start in 90 s"
                time.sleep(0.3)
        with httpx.Client(base_url=base, timeout=30) as client:
            token = client.post(
                "/auth/token", json={"username": "ann", "password": "a long enough password"}
            ).json()["access_token"]
            auth = {"Authorization": f"Bearer {token}"}
            for _ in range(10):  # new connections: both workers get some
                assert client.get("/consent/purposes", headers=auth).status_code == 200
            job = client.post("/ingest/loads", json={"path": "."}, headers=auth).json()
            while job["state"] in ("queued", "running"):
                time.sleep(0.1)
                job = client.get(f"/jobs/{job['id']}", headers=auth).json()
        assert job["state"] == "failed" and "read-only" in job["error"]
    finally:
        server.terminate()
        server.wait(timeout=30)
