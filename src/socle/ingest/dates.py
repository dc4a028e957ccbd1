"""The date policy at the door: every date a mapper produces is shifted by its patient's offset.

Mappers write real dates; the loader passes each mapped resource through
:func:`shift_mapped` before anything is staged, so no mapper (present or
future) can forget the policy. The patient is the resource itself for a
Patient, else the one its ``subject`` (or ``patient``) reference names.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache
from typing import Any

import pyarrow as pa

from socle.ingest.errors import MappingError
from socle.ingest.fhir import parse_datetime, reference_id
from socle.ingest.mappers import Mapped
from socle.privacy import DateShift
from socle.warehouse import CDM

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
        for column in _date_columns(table, row):
            value = row.get(column)
            if isinstance(value, date):  # datetime is a date too
                row[column] = value - delta
        if table == "person":
            birth, _ = parse_datetime(resource.get("birthDate"), "birthDate")
            shifted = birth - delta
            row["year_of_birth"], row["month_of_birth"] = shifted.year, shifted.month


@cache
def _table_dates(table: str) -> tuple[str, ...]:
    cols = CDM[table]
    return tuple(c for c, t in cols.items() if pa.types.is_date(t) or pa.types.is_timestamp(t))


def _date_columns(table: str, row: dict[str, Any]) -> tuple[str, ...] | list[str]:
    """The columns of ``row`` that may hold a date: its CDM table's date and timestamp
    columns (only they are stored), or every column for a table the CDM does not define."""
    if table in CDM:
        return _table_dates(table)
    return list(row)
