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
from socle.audit.log import TABLES, AuditEvent, AuditLog, head_path, verify_jsonl
from socle.audit.seal import AnchorFile, Seal, check_head_signature

__all__ = [
    "GENESIS",
    "TABLES",
    "Anchor",
    "AnchorFile",
    "AuditError",
    "AuditEvent",
    "AuditLog",
    "Seal",
    "TamperedLogError",
    "Verification",
    "check_head_signature",
    "event_hash",
    "head_path",
    "verify_chain",
    "verify_jsonl",
]
