"""The date policy at the door: every date a mapper produces is shifted by its patient's offset.

Mappers write real dates; the loader passes each mapped resource through
:meth:`DateGate.shift` before anything is staged, so no mapper (present or
future) can forget the policy. The patient is the resource itself for a
Patient, else the one its ``subject`` (or ``patient``) reference names.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pyarrow as pa

from socle.ingest.errors import MappingError
from socle.ingest.fhir import parse_datetime, reference_id
from socle.ingest.mappers import Mapped
from socle.privacy import DateShift
from socle.warehouse import CDM

PATIENT_REFERENCES = ("subject", "patient")
_KEPT = 65_536  # patients' offsets kept by reference text, bounded

# Each CDM table's date and timestamp columns (only they are stored, so only they are shifted).
TABLE_DATES: dict[str, tuple[str, ...]] = {
    table: tuple(c for c, t in cols.items() if pa.types.is_date(t) or pa.types.is_timestamp(t))
    for table, cols in CDM.items()
}


def patient_source_id(resource: dict[str, Any]) -> str:
    """Source id of the patient a resource is about (the Patient's own id for a Patient)."""
    if resource.get("resourceType") == "Patient":
        return str(resource["id"])
    for field in PATIENT_REFERENCES:
        if field in resource:
            return reference_id(resource[field], field)
    raise MappingError("resource names no patient (subject or patient reference is missing)")


class DateGate:
    """Shifts mapped rows by their patient's offset; one per load.

    Offsets are kept by the text of the patient reference, so the thousands of
    resources of one patient cost one reference parse and one keyed hash.
    """

    def __init__(self, dates: DateShift) -> None:
        self.dates = dates
        self._offsets: dict[str, timedelta] = {}

    def shift(self, mapped: Mapped, resource: dict[str, Any]) -> None:
        """Move every date and datetime of ``mapped`` back by the patient's offset, in place.

        A person row's year and month of birth become those of the shifted birth date.
        Directory resources (practitioners, organisations) are about no patient and
        carry no date: they are left as they are.
        """
        if mapped.directory:
            return
        delta = self._offset(resource)
        for table, row in mapped.rows:
            columns = TABLE_DATES.get(table)
            for column in list(row) if columns is None else columns:
                value = row.get(column)
                if value is not None and isinstance(value, date):  # datetime is a date too
                    row[column] = value - delta
            if table == "person":
                birth, _ = parse_datetime(resource.get("birthDate"), "birthDate")
                shifted = birth - delta
                row["year_of_birth"], row["month_of_birth"] = shifted.year, shifted.month

    def _offset(self, resource: dict[str, Any]) -> timedelta:
        text = None
        if resource.get("resourceType") != "Patient":  # the first of PATIENT_REFERENCES given
            ref = resource["subject"] if "subject" in resource else resource.get("patient")
            text = ref.get("reference") if isinstance(ref, dict) else None
            if isinstance(text, str) and (known := self._offsets.get(text)) is not None:
                return known
        delta = timedelta(days=self.dates.days(patient_source_id(resource)))
        if isinstance(text, str):
            if len(self._offsets) >= _KEPT:
                self._offsets.clear()
            self._offsets[text] = delta
        return delta
