"""API settings, and the JWT signing secret: never a default, never empty.

The secret comes from ``SOCLE_JWT_SECRET`` or, when unset, from
``<home>/secrets/jwt.key``, generated on first start (mode 0600) like the
pseudonym key. A known default, an empty, a short or a predictable secret (too little
entropy, e.g. 32 × "a") is refused.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from socle.errors import ConfigError
from socle.privacy import MIN_SECRET_BITS, entropy_bits

MIN_SECRET_CHARS = 32
KNOWN_DEFAULTS = frozenset(
    {"", "changethis", "changeme", "secret", "jwt-secret", "your-secret-key", "socle", "test"}
)


class ApiSettings(BaseSettings):
    """Read from ``SOCLE_*`` environment variables."""

    model_config = SettingsConfigDict(env_prefix="SOCLE_", frozen=True)

    jwt_secret: SecretStr | None = None
    jwt_issuer: str = "socle-local"
    token_minutes: int = Field(default=60, ge=1, le=24 * 60)
    import_dir: Path | None = None  # where FHIR input for /ingest/loads must live
    # Requests whose body is larger are refused with 413 before the body is read.
    max_body_bytes: int = Field(default=4 * 1024 * 1024, ge=1024)
    # Failed sign-ins allowed per account and per client within the window, then 429.
    signin_account_failures: int = Field(default=5, ge=1)
    signin_client_failures: int = Field(default=20, ge=1)
    signin_window_seconds: int = Field(default=900, ge=1)
    threads: int = Field(default=8, ge=1, le=64)  # worker threads of a process for reads
    query_threads: int = Field(default=2, ge=1, le=64)  # for workspace queries
    expiry_minutes: float = Field(default=60, gt=0)  # how often expired grants are closed


def jwt_secret(settings: ApiSettings, secrets_dir: Path) -> str:
    """The signing secret: from the environment if set (and safe), else from the node's secrets."""
    if settings.jwt_secret is not None:
        return _checked(settings.jwt_secret.get_secret_value(), "SOCLE_JWT_SECRET")
    path = secrets_dir / "jwt.key"
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(48))
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise ConfigError(
            f"secret {path} has mode {mode:o}; it must be readable by its owner only "
            f"(run: chmod 600 {path})"
        )
    return _checked(path.read_text().strip(), str(path))


def _checked(value: str, source: str) -> str:
    if value.strip().lower() in KNOWN_DEFAULTS:
        raise ConfigError(
            f"the JWT secret from {source} is empty or a known default; unset it to let Socle "
            "generate one, or set a random value of at least 32 characters"
        )
    if len(value) < MIN_SECRET_CHARS:
        raise ConfigError(
            f"the JWT secret from {source} has {len(value)} characters; use at least "
            f"{MIN_SECRET_CHARS} random characters"
        )
    bits = entropy_bits(value)
    if bits < MIN_SECRET_BITS:
        raise ConfigError(
            f"the JWT secret from {source} is too predictable (about {bits:.0f} bits of "
            f"entropy, at least {MIN_SECRET_BITS} needed); unset it to let Socle generate one, "
            "or use python -c 'import secrets; print(secrets.token_urlsafe(48))'"
        )
    return value
