"""Audit: the hash-chained, tamper-evident log every state change appends to."""

from socle.audit.chain import (
    GENESIS,
    Anchor,
    AuditError,
    TamperedLogError,
    Verification,
    event_hash,
    verify_chain,
)
from socle.audit.log import AuditEvent, AuditLog, verify_jsonl

__all__ = [
    "GENESIS",
    "Anchor",
    "AuditError",
    "AuditEvent",
    "AuditLog",
    "TamperedLogError",
    "Verification",
    "event_hash",
    "verify_chain",
    "verify_jsonl",
]
