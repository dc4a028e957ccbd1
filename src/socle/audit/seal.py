"""The keyed seal of the audit log, and the anchor file that keeps its head outside the store.

The SHA-256 chain shows that events fit together, but anyone who can write
the store can rewrite an event and recompute every hash after it. So each
event also carries a *seal*: HMAC-SHA256, under a key kept apart from the
store (the node's key provider), of its sequence number and hash. Without the
key, a rewritten event cannot be sealed again.

Deleting the newest events leaves a chain that still fits and seals that
still match, so the head is also written, after every committed append, to an
append-only *anchor file* outside the store (each line sealed too). The log
must still contain every anchored (sequence, hash).

Heads given to others (beside an export, in a release) are also signed with
Ed25519 under a key derived from the audit key, so an outside auditor checks
them with the node's published public key, without any secret.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import orjson

from socle.audit.chain import Anchor, AuditError, TamperedLogError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

log = logging.getLogger("socle.audit")


@dataclass(frozen=True)
class Seal:
    """The audit key and where the head is anchored."""

    key: bytes = field(repr=False)
    anchor_path: Path

    def event_mac(self, seq: int, digest: str) -> str:
        return self._mac(f"event|{seq}|{digest}")

    def anchor_mac(self, seq: int, digest: str) -> str:
        return self._mac(f"anchor|{seq}|{digest}")

    def sign_head(self, seq: int, digest: str) -> str:
        """Ed25519 signature (hex) of a head: checkable by anyone with :meth:`public_key`."""
        return self._signer().sign(_head_message(seq, digest)).hex()

    def public_key(self) -> str:
        """The node's audit public key (raw Ed25519, hex), to publish for outside auditors."""
        from cryptography.hazmat.primitives import serialization

        raw = (
            self._signer()
            .public_key()
            .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        )
        return raw.hex()

    def _signer(self) -> Ed25519PrivateKey:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        seed = hmac.new(self.key, b"socle-audit-v1|ed25519-seed", hashlib.sha256).digest()
        return Ed25519PrivateKey.from_private_bytes(seed)

    def _mac(self, message: str) -> str:
        return hmac.new(self.key, b"socle-audit-v1|" + message.encode(), hashlib.sha256).hexdigest()


def _head_message(seq: int, digest: str) -> bytes:
    return f"socle-audit-v1|head|{seq}|{digest}".encode()


def check_head_signature(public_key: str, seq: int, digest: str, signature: str) -> None:
    """Raise :class:`TamperedLogError` unless ``signature`` signs this head under ``public_key``."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key))
        key.verify(bytes.fromhex(signature), _head_message(seq, digest))
    except ValueError as exc:
        raise AuditError("an audit public key is 64 hex digits (`socle audit public-key`)") from exc
    except InvalidSignature as exc:
        raise TamperedLogError(
            f"the head (event #{seq}) is not signed by the node whose public key was given"
        ) from exc


class AnchorFile:
    """Append-only JSON Lines of sealed heads: ``{"seq", "hash", "at", "mac"}``."""

    def __init__(self, seal: Seal) -> None:
        self.seal, self.path = seal, seal.anchor_path
        self._last = 0
        self._lock = threading.Lock()

    def write(self, seq: int, digest: str, *, create: bool) -> bool:
        """Append the head if it moved on; create the file only when ``create``.

        A missing file is not re-created for a log that already has events
        (that would bless a truncated log): ``socle audit upgrade`` does it.
        """
        with self._lock:
            if seq <= self._last:
                return False
            if not create and not self.path.exists():
                log.warning("audit anchor file %s is missing; run `socle audit upgrade`", self.path)
                return False
            line = orjson.dumps(
                {"seq": seq, "hash": digest, "at": datetime.now(UTC).isoformat(),
                 "mac": self.seal.anchor_mac(seq, digest)}
            ) + b"\n"  # fmt: skip
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line)
                os.fsync(fd)
            finally:
                os.close(fd)
            self._last = seq
            return True

    def read(self) -> list[Anchor]:
        """Every anchored head; a line whose seal does not match is itself tampering."""
        if not self.path.exists():
            return []
        try:
            text = self.path.read_bytes()
        except OSError as exc:
            raise AuditError(
                f"cannot read the audit anchor file {self.path}: {exc.strerror}"
            ) from exc
        anchors = []
        for number, line in enumerate(text.splitlines(), start=1):
            try:
                data = orjson.loads(line)
                seq, digest, mac = int(data["seq"]), str(data["hash"]), str(data["mac"])
            except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
                raise TamperedLogError(
                    f"audit anchor file {self.path.name} line {number} is not an anchor"
                ) from exc
            if not hmac.compare_digest(mac, self.seal.anchor_mac(seq, digest)):
                raise TamperedLogError(
                    f"audit anchor file {self.path.name} line {number} (event #{seq}) is not "
                    "sealed by this node's audit key (the anchor file was edited)"
                )
            anchors.append(Anchor(seq, digest))
        return anchors
