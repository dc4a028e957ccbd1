"""Canonical encoding, hashing and verification of audit events.

The hash of an event is SHA-256 over the canonical JSON (sorted keys, UTF-8,
no whitespace) of every field but the hash itself, *including* the previous
event's hash and the sequence number: changing, removing, inserting or
reordering any event breaks the chain from that point on. Truncating the end
keeps the chain consistent, which is why the head is anchored elsewhere (see
:class:`Anchor`).

:func:`verify_chain` is pure: it checks any iterable of events, whether read
from the store or from an exported JSON Lines file.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import orjson

from socle.errors import SocleError

GENESIS = "0" * 64
FIELDS = (
    "seq",
    "at",
    "actor",
    "role",
    "action",
    "object",
    "purpose",
    "outcome",
    "details",
    "prev_hash",
)


class AuditError(SocleError):
    """Base of audit errors."""


class TamperedLogError(AuditError):
    """The chain does not verify; the message names the first bad event."""

    exit_code = 3


@dataclass(frozen=True)
class Verification:
    """Result of a full verification."""

    events: int
    head_hash: str


@dataclass(frozen=True)
class Anchor:
    """A (sequence, hash) pair kept outside the log: the log must still contain it."""

    seq: int
    hash: str

    @classmethod
    def parse(cls, text: str) -> Anchor:
        """Read ``{"seq": n, "hash": "..."}`` (what ``socle audit head`` prints) or ``n:hash``."""
        try:
            if text.lstrip().startswith("{"):
                data = orjson.loads(text)
                seq, digest = int(data["seq"]), str(data["hash"])
            else:
                left, digest = text.strip().split(":", 1)
                seq = int(left)
        except (ValueError, KeyError, TypeError, orjson.JSONDecodeError) as exc:
            raise AuditError(
                'an anchor is {"seq": N, "hash": "<64 hex>"} or N:<64 hex>, as printed by '
                "`socle audit head`"
            ) from exc
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest) or seq < 0:
            raise AuditError(f"anchor hash must be 64 lowercase hex digits and seq >= 0; got {seq}")
        return cls(seq, digest)


def canonical(fields: dict[str, Any]) -> bytes:
    """Deterministic bytes for a mapping of JSON values."""
    return orjson.dumps(fields, option=orjson.OPT_SORT_KEYS)


def event_hash(fields: dict[str, Any]) -> str:
    """SHA-256 hex digest of an event's canonical encoding (``hash`` excluded)."""
    body = {k: v for k, v in fields.items() if k != "hash"}
    return hashlib.sha256(canonical(body)).hexdigest()


def verify_chain(
    events: Iterable[dict[str, Any]],
    *,
    expected_head: str | None = None,
    anchors: Iterable[Anchor] = (),
    seal_of: Callable[[int, str], str] | None = None,
) -> Verification:
    """Check events in order; raise :class:`TamperedLogError` naming the first bad one.

    ``expected_head`` must equal the last hash (the log has not grown since);
    each anchor must still be in the log with the same hash (the log may have
    grown since). Either detects truncation and rewriting of the end.
    ``seal_of(seq, hash)``, when given, is the keyed seal each event's ``mac``
    must equal: a chain rewritten and re-hashed without the key fails here.
    """
    pending = {a.seq: a.hash for a in anchors}
    sha256, dumps, sort = hashlib.sha256, orjson.dumps, orjson.OPT_SORT_KEYS
    prev, expected_seq = GENESIS, 1
    for event in events:
        seq = event["seq"]
        if seq != expected_seq:
            raise TamperedLogError(
                f"audit log broken at {_where(event)}: expected event #{expected_seq} "
                "(an event was deleted, inserted or reordered)"
            )
        if event["prev_hash"] != prev:
            raise TamperedLogError(
                f"audit log broken at {_where(event)}: its previous-hash does not match event "
                f"#{expected_seq - 1} (an event before it was changed, removed or reordered)"
            )
        digest = event["hash"]
        body = {k: event[k] for k in FIELDS}
        if sha256(dumps(body, option=sort)).hexdigest() != digest:
            raise TamperedLogError(
                f"audit log broken at {_where(event)}: its content does not match its hash "
                "(the event was altered)"
            )
        if seal_of is not None:
            mac = event.get("mac")
            if not mac:
                raise TamperedLogError(
                    f"audit log broken at {_where(event)}: it carries no seal (added without "
                    "the audit key, or a log from before sealing: run `socle audit upgrade`)"
                )
            if not hmac.compare_digest(str(mac), seal_of(seq, digest)):
                raise TamperedLogError(
                    f"audit log broken at {_where(event)}: its seal does not match (the event "
                    "was rewritten by someone without the audit key)"
                )
        if seq in pending and pending.pop(seq) != digest:
            raise TamperedLogError(
                f"audit log broken at {_where(event)}: its hash differs from the anchored hash "
                "(the log was rewritten from this event on)"
            )
        prev, expected_seq = digest, expected_seq + 1
    count = expected_seq - 1
    if pending:
        first = min(pending)
        raise TamperedLogError(
            f"audit log has {count} events but event #{first} was anchored (the log was truncated)"
        )
    if expected_head is not None and expected_head != prev:
        raise TamperedLogError(
            f"audit log head {prev[:16]}… after {count} events does not match the anchored "
            f"head {expected_head[:16]}… (the log was truncated or rewritten)"
        )
    return Verification(events=count, head_hash=prev)


def _where(event: dict[str, Any]) -> str:
    return f"event #{event.get('seq')} ({event.get('action')} on {event.get('object')} at {event.get('at')})"
