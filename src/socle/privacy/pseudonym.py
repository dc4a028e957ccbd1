"""Keyed pseudonyms: HMAC-SHA256 with the deployment's secret key, never a bare hash.

A bare hash of a patient identifier can be reversed by hashing candidate
identifiers; a keyed HMAC cannot without the key. The same source identifier
always yields the same pseudonym in one deployment, so re-loading a patient,
or loading them from another format, gives the same ``person_id``.
"""

from __future__ import annotations

import hmac
from functools import lru_cache

_ID_MASK = (1 << 63) - 1
_CACHE = 65_536  # bounded: patient and encounter ids repeat within a bundle


class Pseudonymizer:
    """Derives integer ids (for OMOP keys) and hex tokens from source identifiers."""

    def __init__(self, key: bytes) -> None:
        self._key = key
        self._cached_id = lru_cache(maxsize=_CACHE)(self._compute_id)

    def _digest(self, kind: str, source_id: str) -> bytes:
        return hmac.digest(self._key, f"{kind}|{source_id}".encode(), "sha256")

    def _compute_id(self, kind: str, source_id: str) -> int:
        return int.from_bytes(self._digest(kind, source_id)[:8], "big") & _ID_MASK or 1

    def id(self, kind: str, source_id: str) -> int:
        """A positive 63-bit integer id for a source record of ``kind`` (e.g. ``Patient``)."""
        return self._cached_id(kind, source_id)

    def token(self, kind: str, source_id: str) -> str:
        """A 32-hex-character pseudonym, shown to people instead of the source identifier."""
        return self._digest(kind, source_id)[:16].hex()
