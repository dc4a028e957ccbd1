"""Where a node's keys come from: one small interface, a file-based default.

A :class:`KeyProvider` hands out the node's named 32-byte keys (``pseudonym``,
``vault``, ``audit``). The default, :class:`FileKeyProvider`, keeps one file
per key in a folder that can (and in production should) sit on a separate
volume from the stores it protects: ``SOCLE_KEYS_DIR``. A KMS or PKCS#11
provider implements the same two methods (unwrapping data keys held by the
HSM) and is registered in :data:`PROVIDERS`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from socle.privacy.errors import UnsafeSecretError
from socle.privacy.keys import load_or_create_key


class KeyProvider(Protocol):
    """The node's named keys."""

    def key(self, name: str) -> bytes:
        """The 32-byte key called ``name``, created on first use if the provider can."""
        ...

    def describe(self) -> str:
        """Where the keys live, for operators (never the keys themselves)."""
        ...


class FileKeyProvider:
    """Keys as files ``<folder>/<name>.key``, mode 0600 in a 0700 folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def path(self, name: str) -> Path:
        if not name.isidentifier():
            raise UnsafeSecretError(f"a key name is a plain identifier, not '{name}'")
        return self.folder / f"{name}.key"

    def key(self, name: str) -> bytes:
        return load_or_create_key(self.path(name))

    def describe(self) -> str:
        return f"files in {self.folder}"


PROVIDERS: dict[str, Callable[[Path], KeyProvider]] = {"file": FileKeyProvider}


def key_provider(kind: str, folder: Path) -> KeyProvider:
    """The provider called ``kind`` (``file`` is built in), set up for ``folder``."""
    try:
        return PROVIDERS[kind](folder)
    except KeyError as exc:
        raise UnsafeSecretError(
            f"unknown key provider '{kind}'; known: {', '.join(sorted(PROVIDERS))}"
        ) from exc
