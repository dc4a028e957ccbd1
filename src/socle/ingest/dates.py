"""The date policy at the door: every date a mapper produces is shifted by its patient's offset.

Mappers write real dates; the loader passes each mapped resource through
:func:`shift_mapped` before anything is staged, so no mapper (present or
future) can forget the policy. The patient is the resource itself for a
Patient, else the one its ``subject`` (or ``patient``) reference names.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from socle.ingest.errors import MappingError
from socle.ingest.fhir import parse_datetime, reference_id
from socle.ingest.mappers import Mapped
from socle.privacy import DateShift

PATIENT_REFERENCES = ("subject", "patient")


def patient_source_id(resource: dict[str, Any]) -> str:
    """Source id of the patient a resource is about (the Patient's own id for a Patient)."""
    if resource.get("resourceType") == "Patient":
        return str(resource["id"])
    for field in PATIENT_REFERENCES:
        if field in resource:
            return reference_id(resource[field], field)
    raise MappingError("resource names no patient (subject or patient reference is missing)")


def shift_mapped(mapped: Mapped, resource: dict[str, Any], dates: DateShift) -> None:
    """Move every date and datetime of ``mapped`` back by the patient's offset, in place.

    A person row's year and month of birth become those of the shifted birth date.
    Directory resources (practitioners, organisations) are about no patient and
    carry no date: they are left as they are.
    """
    if mapped.directory:
        return
    patient = patient_source_id(resource)
    delta = timedelta(days=dates.days(patient))
    for table, row in mapped.rows:
        for column, value in row.items():
            if isinstance(value, date):  # datetime is a date too
                row[column] = value - delta
        if table == "person":
            birth, _ = parse_datetime(resource.get("birthDate"), "birthDate")
            shifted = birth - delta
            row["year_of_birth"], row["month_of_birth"] = shifted.year, shifted.month
