"""Per-person date shifting: a keyed, deterministic offset moves every date of a person back.

The warehouse withholds the day of birth, but a history that starts at birth
(a newborn visit, a condition recorded at birth) would give it away through
its own date. Every warehouse date of a person — birth included — is moved
back by the same number of days, so intervals between a person's events and
their age at each event are exact, while no stored date is a real calendar
day of that person. The offset is an HMAC of the patient's source id under a
key of its own (not the pseudonym key, so a pseudonym-key rotation leaves
the dates alone); the clinical-notes de-identification applies the same
offset to dates found in text. See docs/adr/0004-date-shifting.md.
"""

from __future__ import annotations

import hmac
from datetime import date, timedelta
from functools import lru_cache
from typing import TypeVar

DEFAULT_MAX_DAYS = 180
_CACHE = 65_536  # bounded: the records of one patient follow each other

Day = TypeVar("Day", bound=date)  # a date or a datetime


class DateShift:
    """Days each person's dates move back: in ``[1, max_days]``, never zero, never forward.

    Backward only, so a shifted event is never in the future of the load.
    """

    def __init__(self, key: bytes, max_days: int = DEFAULT_MAX_DAYS) -> None:
        if max_days < 1:
            raise ValueError("max_days must be at least 1")
        self._key = key
        self.max_days = max_days
        self._cached = lru_cache(maxsize=_CACHE)(self._compute)

    def _compute(self, source_patient_id: str) -> int:
        digest = hmac.digest(self._key, f"date-shift|{source_patient_id}".encode(), "sha256")
        return 1 + int.from_bytes(digest[:8], "big") % self.max_days

    def days(self, source_patient_id: str) -> int:
        """The offset of the patient whose source id is ``source_patient_id``."""
        return self._cached(source_patient_id)

    def shift(self, day: Day, source_patient_id: str) -> Day:
        """``day`` (a date or a datetime) as stored for this patient."""
        return day - timedelta(days=self.days(source_patient_id))
