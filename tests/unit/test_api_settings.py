"""The JWT secret is never a default: generated once (0600), or given and checked."""

from __future__ import annotations

import secrets
import stat
from pathlib import Path

import pytest
from pydantic import SecretStr

from socle.api import ApiSettings, LocalIssuer, Principal, Role, jwt_secret
from socle.api.errors import AuthenticationError
from socle.errors import ConfigError


def test_secret_is_generated_once_readable_by_owner_only(tmp_path: Path) -> None:
    first = jwt_secret(ApiSettings(), tmp_path / "secrets")
    path = tmp_path / "secrets" / "jwt.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first) >= 32
    assert jwt_secret(ApiSettings(), tmp_path / "secrets") == first


@pytest.mark.parametrize("value", ["", "changethis", "secret", "short-but-random-9f3"])
def test_default_empty_or_short_secret_is_refused(tmp_path: Path, value: str) -> None:
    with pytest.raises(ConfigError, match="JWT secret"):
        jwt_secret(ApiSettings(jwt_secret=SecretStr(value)), tmp_path)


def test_secret_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    jwt_secret(ApiSettings(), tmp_path / "secrets")
    (tmp_path / "secrets" / "jwt.key").chmod(0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        jwt_secret(ApiSettings(), tmp_path / "secrets")


def test_environment_selects_the_secret(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    chosen = secrets.token_urlsafe(48)
    monkeypatch.setenv("SOCLE_JWT_SECRET", chosen)
    assert jwt_secret(ApiSettings(), tmp_path) == chosen
    assert not (tmp_path / "jwt.key").exists()


def test_expired_token_is_refused_with_a_clear_message() -> None:
    issuer = LocalIssuer("s" * 40, "socle-local", 1)
    token = issuer.issue(Principal("ann", frozenset({Role.AUDITOR})))
    import jwt

    claims = jwt.decode(token, "s" * 40, algorithms=["HS256"])
    claims["exp"] = claims["iat"] - 10
    expired = jwt.encode(claims, "s" * 40, algorithm="HS256")
    with pytest.raises(AuthenticationError, match="expired"):
        issuer.verify(expired)
    assert issuer.verify(token).roles == {Role.AUDITOR}
