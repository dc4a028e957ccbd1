"""The identity vault: direct identifiers, encrypted with AES-GCM, kept apart from the warehouse.

Each entry is keyed by the person's pseudonym token and holds the identity
(names, address, telecom, identifiers, exact birth date) as encrypted JSON.
A second column holds a keyed lookup of the source patient id, so a patient
(or a FHIR Consent that references a source id) can be matched to a
pseudonym without storing the source id in clear.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from socle.privacy.errors import VaultError
from socle.privacy.pseudonym import Pseudonymizer

_SCHEMA = """
CREATE TABLE IF NOT EXISTS identity (
    pseudonym TEXT PRIMARY KEY,
    source_lookup TEXT NOT NULL UNIQUE,
    nonce BLOB NOT NULL,
    ciphertext BLOB NOT NULL
)
"""


class IdentityVault:
    """Encrypted store of direct identifiers, one entry per pseudonymised person.

    Safe to share between threads (the API's workers): one connection, used under a lock.
    """

    def __init__(self, path: Path, key: bytes, pseudonymizer: Pseudonymizer) -> None:
        self._aead = AESGCM(key)
        self._pseudo = pseudonymizer
        self._lock = threading.RLock()
        self._db = sqlite3.connect(path, check_same_thread=False)
        self._db.execute(_SCHEMA)
        self._db.commit()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _lookup(self, source_id: str) -> str:
        return self._pseudo.token("vault-lookup", source_id)

    def put_many(self, entries: Iterable[tuple[str, str, dict[str, Any]]]) -> int:
        """Upsert ``(pseudonym, source_id, identity)`` entries in one transaction."""
        with self._lock, self._db:
            return self._insert(entries)

    def _insert(self, entries: Iterable[tuple[str, str, dict[str, Any]]]) -> int:
        rows = []
        for pseudonym, source_id, identity in entries:
            nonce = os.urandom(12)
            blob = self._aead.encrypt(nonce, orjson.dumps(identity), pseudonym.encode())
            rows.append((pseudonym, self._lookup(source_id), nonce, blob))
        if rows:
            self._db.executemany(
                "INSERT INTO identity VALUES (?, ?, ?, ?) ON CONFLICT(pseudonym) DO UPDATE SET "
                "source_lookup=excluded.source_lookup, nonce=excluded.nonce, "
                "ciphertext=excluded.ciphertext",
                rows,
            )
        return len(rows)

    def get(self, pseudonym: str) -> dict[str, Any]:
        with self._lock:
            row = self._db.execute(
                "SELECT nonce, ciphertext FROM identity WHERE pseudonym = ?", (pseudonym,)
            ).fetchone()
            if row is None:
                raise VaultError(f"no identity in the vault for pseudonym {pseudonym}")
            try:
                plain = self._aead.decrypt(row[0], row[1], pseudonym.encode())
            except InvalidTag as exc:
                raise VaultError(
                    f"vault entry for pseudonym {pseudonym} cannot be decrypted with this key"
                ) from exc
            result: dict[str, Any] = orjson.loads(plain)
            return result

    def pseudonym_for_source(self, source_id: str) -> str:
        """The pseudonym of the patient whose source id is ``source_id``."""
        with self._lock:
            row = self._db.execute(
                "SELECT pseudonym FROM identity WHERE source_lookup = ?", (self._lookup(source_id),)
            ).fetchone()
            if row is None:
                raise VaultError("no patient with this source identifier in the vault")
            return str(row[0])

    def source_ids(self) -> dict[str, str]:
        """Pseudonym → source patient id of every entry (decrypted; for key rotation only)."""
        with self._lock:
            rows = self._db.execute("SELECT pseudonym FROM identity").fetchall()
            return {str(p): str(self.get(str(p))["source_id"]) for (p,) in rows}

    def rekey(self, new: Pseudonymizer) -> int:
        """Re-key every entry to ``new``'s pseudonyms and lookups, in one transaction.

        The entries are re-encrypted because the pseudonym is their associated
        data. After this, the vault answers with ``new`` only.
        """
        with self._lock:
            entries = []
            for (pseudonym,) in self._db.execute("SELECT pseudonym FROM identity").fetchall():
                identity = self.get(str(pseudonym))
                source_id = str(identity["source_id"])
                entries.append((new.token("Patient", source_id), source_id, identity))
            old, self._pseudo = self._pseudo, new
            try:
                with self._db:
                    self._db.execute("DELETE FROM identity")
                    self._insert(entries)
            except BaseException:
                self._pseudo = old
                raise
            return len(entries)

    def count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM identity").fetchone()[0])
