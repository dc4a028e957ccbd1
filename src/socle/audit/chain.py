"""Canonical encoding and hashing of audit events.

The hash of an event is SHA-256 over the canonical JSON (sorted keys, UTF-8,
no whitespace) of every field but the hash itself, *including* the previous
event's hash and the sequence number: changing, removing, inserting or
reordering any event breaks the chain from that point on.
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

GENESIS = "0" * 64


def canonical(fields: dict[str, Any]) -> bytes:
    """Deterministic bytes for a mapping of JSON values."""
    return orjson.dumps(fields, option=orjson.OPT_SORT_KEYS)


def event_hash(fields: dict[str, Any]) -> str:
    """SHA-256 hex digest of an event's canonical encoding (``hash`` excluded)."""
    body = {k: v for k, v in fields.items() if k != "hash"}
    return hashlib.sha256(canonical(body)).hexdigest()
