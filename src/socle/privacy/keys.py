"""Per-deployment secrets: created on first run, mode 0600, outside the warehouse."""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from socle.privacy.errors import UnsafeSecretError
from socle.privacy.strength import MIN_KEY_BITS, check_entropy

KEY_BYTES = 32


def load_or_create_key(path: Path) -> bytes:
    """Return the 32-byte key at ``path``, creating it (0600, in a 0700 folder) if absent.

    A key readable by group or others is refused: a leaked pseudonym key lets
    anyone with a list of source identifiers re-identify the warehouse.
    """
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path.parent, 0o700)
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(secrets.token_bytes(KEY_BYTES))
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise UnsafeSecretError(
            f"secret {path} has mode {mode:o}; it must be readable by its owner only "
            f"(run: chmod 600 {path})"
        )
    key = path.read_bytes()
    if len(key) != KEY_BYTES:
        raise UnsafeSecretError(f"secret {path} holds {len(key)} bytes, expected {KEY_BYTES}")
    check_entropy(key, str(path), MIN_KEY_BITS)
    return key


def create_next_key(path: Path) -> tuple[Path, bytes]:
    """Write a fresh key beside ``path`` as ``<name>.next`` (0600), for a rotation.

    An existing ``.next`` file means an earlier rotation did not finish; it is
    refused rather than overwritten, so no half-applied key is lost.
    """
    nxt = path.with_name(path.name + ".next")
    if nxt.exists():
        raise UnsafeSecretError(
            f"{nxt} exists: an earlier key rotation did not finish; restore the node "
            "from its backup, delete that file, and rotate again"
        )
    fd = os.open(nxt, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(secrets.token_bytes(KEY_BYTES))
        f.flush()
        os.fsync(f.fileno())
    return nxt, load_or_create_key(nxt)


def install_next_key(path: Path) -> None:
    """Make ``<name>.next`` the key at ``path`` (atomic rename); the old key is gone."""
    os.replace(path.with_name(path.name + ".next"), path)
