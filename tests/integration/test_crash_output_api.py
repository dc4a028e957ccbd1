"""An unexpected error in the API is a 500 problem+json and one log line with its type and
place: no value of a resource in the body, in the server's log or in a traceback."""

from __future__ import annotations

import logging
import secrets
import shutil
import sqlite3
import time
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from socle.api import ApiSettings, Principal, Role, create_app
from socle.config import Settings
from socle.privacy import IdentityVault
from tests.apiclient import served
from tests.conftest import SAMPLE
from tests.e2e.test_crash_output import identity_values
from tests.integration.postgres import _free_port


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(logging.Formatter().format(record))


def test_a_crash_mid_load_through_the_api_leaks_no_identity(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    (home / "inbox" / "batch").mkdir(parents=True)
    for bundle in sorted(SAMPLE.glob("*.json.gz"))[:3]:
        shutil.copy(bundle, home / "inbox" / "batch" / bundle.name)

    def full_disk(self: IdentityVault, entries: object) -> int:
        first = next(iter(entries))  # type: ignore[call-overload]
        raise sqlite3.OperationalError(f"database or disk is full while writing {first}")

    monkeypatch.setattr(IdentityVault, "_insert", full_disk)
    app = create_app(
        Settings(home=home), ApiSettings(jwt_secret=SecretStr(secrets.token_urlsafe(40)))
    )
    collect = Collect()
    loggers = [logging.getLogger(n) for n in ("uvicorn.error", "socle.api")]
    with served(app, _free_port()) as base:
        for logger in loggers:  # after uvicorn configured its loggers (it resets their handlers)
            logger.addHandler(collect)
        try:
            token = app.state.issuer.issue(Principal("steward", frozenset({Role.DATA_STEWARD})))
            auth = {"Authorization": f"Bearer {token}"}
            started = httpx.post(
                f"{base}/ingest/loads", json={"path": "batch"}, headers=auth, timeout=120
            )
            assert started.status_code == 202  # a load is a background job
            for _ in range(600):
                response = httpx.get(f"{base}/jobs/{started.json()['id']}", headers=auth)
                if response.json()["state"] in ("failed", "succeeded"):
                    break
                time.sleep(0.2)
        finally:
            for logger in loggers:
                logger.removeHandler(collect)
    assert response.json()["state"] == "failed"
    assert response.json()["error"] == "internal error; the server's log has the details"
    log = "\n".join(collect.lines)
    assert "unexpected OperationalError at socle/privacy/vault.py" in log
    assert "Traceback" not in log
    values = identity_values(home / "inbox" / "batch")
    leaked = sorted(v for v in values if v in response.text or v in log)
    assert not leaked, f"{len(leaked)} identity values in the response or the log"
