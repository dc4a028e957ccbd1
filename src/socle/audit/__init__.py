"""Audit: the hash-chained, tamper-evident log every state change appends to."""

from socle.audit.chain import GENESIS, event_hash
from socle.audit.log import AuditError, AuditEvent, AuditLog, TamperedLogError, Verification

__all__ = [
    "GENESIS",
    "AuditError",
    "AuditEvent",
    "AuditLog",
    "TamperedLogError",
    "Verification",
    "event_hash",
]
