"""Synthea CSV exports → FHIR R4 resources, so the same mappers load them.

Each row of ``patients.csv``, ``encounters.csv``, ``conditions.csv``,
``observations.csv``, ``medications.csv``, ``procedures.csv``,
``immunizations.csv`` and ``allergies.csv`` becomes the FHIR resource Synthea
itself would have written, with the same ids where the CSV has them (patients
and encounters), so a patient loaded from CSV and from FHIR gets the same
``person_id`` and the same visits. Rows without an id of their own get a
source id built from their natural key (patient, encounter, code, start);
it only ever enters the keyed pseudonym. Other Synthea CSV files (claims,
careplans, payers, ...) are not read.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from typing import IO, Any

SNOMED = "http://snomed.info/sct"
SYSTEMS = {
    "SNOMED-CT": SNOMED,
    "RxNorm": "http://www.nlm.nih.gov/research/umls/rxnorm",
    "LOINC": "http://loinc.org",
}
ENCOUNTER_CLASS = {
    "ambulatory": "AMB", "wellness": "AMB", "outpatient": "AMB", "urgentcare": "AMB",
    "emergency": "EMER", "inpatient": "IMP", "snf": "IMP", "home": "HH", "hospice": "HH",
    "virtual": "VR",
}  # fmt: skip
RACE = {
    "white": "2106-3", "black": "2054-5", "asian": "2028-9", "native": "1002-5",
    "hawaiian": "2076-8", "other": "2131-1",
}  # fmt: skip
ETHNICITY = {"hispanic": "2135-2", "nonhispanic": "2186-5"}
US_CORE = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-"

Row = dict[str, str]


def _ref(kind: str, value: str) -> dict[str, str] | None:
    return {"reference": f"{kind}/{value}"} if value else None


def _concept(system: str, code: str, display: str) -> dict[str, Any] | None:
    if not code:
        return None
    return {"coding": [{"system": system, "code": code, "display": display}]}


def _clean(resource: dict[str, Any]) -> dict[str, Any]:
    """Drop empty fields, so a missing CSV value reads as a missing FHIR element."""
    return {k: v for k, v in resource.items() if v not in (None, "", [], {})}


def _omb(url: str, code: str) -> dict[str, Any] | None:
    if not code:
        return None
    return {"url": url, "extension": [{"url": "ombCategory", "valueCoding": {"code": code}}]}


def patient(row: Row) -> dict[str, Any]:
    names = [_clean({"use": "official", "family": row.get("LAST"), "given": [row["FIRST"]] if row.get("FIRST") else [], "prefix": [row["PREFIX"]] if row.get("PREFIX") else [], "suffix": [row["SUFFIX"]] if row.get("SUFFIX") else []})]  # fmt: skip
    if row.get("MAIDEN"):
        names.append({"use": "maiden", "family": row["MAIDEN"]})
    identifiers = [
        {"system": system, "value": row[col]}
        for col, system in (
            ("SSN", "http://hl7.org/fhir/sid/us-ssn"),
            ("DRIVERS", "urn:oid:2.16.840.1.113883.4.3.25"),
            ("PASSPORT", "http://standardhealthrecord.org/fhir/passport"),
        )
        if row.get(col)
    ]
    address = _clean(
        {
            "line": [row["ADDRESS"]] if row.get("ADDRESS") else [],
            "city": row.get("CITY"),
            "district": row.get("COUNTY"),
            "state": row.get("STATE"),
            "postalCode": row.get("ZIP"),
            "extension": [{"url": "geolocation", "valueString": f"{row['LAT']},{row['LON']}"}]
            if row.get("LAT")
            else [],
        }
    )
    extensions = [
        _omb(US_CORE + "race", RACE.get(row.get("RACE", ""), "")),
        _omb(US_CORE + "ethnicity", ETHNICITY.get(row.get("ETHNICITY", ""), "")),
    ]
    if row.get("BIRTHPLACE"):
        extensions.append(
            {
                "url": "http://hl7.org/fhir/StructureDefinition/patient-birthPlace",
                "valueAddress": {"text": row["BIRTHPLACE"]},
            }
        )
    gender = {"M": "male", "F": "female"}.get(row.get("GENDER", ""), "unknown")
    return _clean(
        {
            "resourceType": "Patient",
            "id": row.get("Id"),
            "birthDate": row.get("BIRTHDATE"),
            "deceasedDateTime": row.get("DEATHDATE"),
            "gender": gender,
            "name": names,
            "identifier": identifiers,
            "address": [address] if address else [],
            "extension": [e for e in extensions if e],
            "maritalStatus": _concept("MaritalStatus", row.get("MARITAL", ""), ""),
        }
    )


def encounter(row: Row) -> dict[str, Any]:
    klass = ENCOUNTER_CLASS.get(row.get("ENCOUNTERCLASS", ""), row.get("ENCOUNTERCLASS", ""))
    return _clean(
        {
            "resourceType": "Encounter",
            "id": row.get("Id"),
            "class": {"code": klass} if klass else None,
            "subject": _ref("Patient", row.get("PATIENT", "")),
            "period": _clean({"start": row.get("START"), "end": row.get("STOP")}),
            "type": [_concept(SNOMED, row.get("CODE", ""), row.get("DESCRIPTION", ""))],
        }
    )


def _natural_id(row: Row, *cols: str) -> str:
    return "csv|" + "|".join(row.get(c, "") for c in cols)


def condition(row: Row) -> dict[str, Any]:
    return _clean(
        {
            "resourceType": "Condition",
            "id": _natural_id(row, "PATIENT", "ENCOUNTER", "CODE", "START"),
            "subject": _ref("Patient", row.get("PATIENT", "")),
            "encounter": _ref("Encounter", row.get("ENCOUNTER", "")),
            "code": _concept(SNOMED, row.get("CODE", ""), row.get("DESCRIPTION", "")),
            "onsetDateTime": row.get("START"),
            "abatementDateTime": row.get("STOP"),
        }
    )


def observation(row: Row) -> dict[str, Any]:
    value: dict[str, Any] = {}
    if row.get("TYPE") == "numeric" and row.get("VALUE"):
        try:
            value["valueQuantity"] = {
                "value": float(row["VALUE"]),
                "unit": row.get("UNITS", ""),
                "code": row.get("UNITS", ""),
            }
        except ValueError:
            value["valueQuantity"] = {"value": "not a number"}
    elif row.get("VALUE"):
        value["valueString"] = row["VALUE"]  # free text: the mapper never stores it
    category = row.get("CATEGORY", "")
    return _clean(
        {
            "resourceType": "Observation",
            "id": _natural_id(row, "PATIENT", "ENCOUNTER", "CODE", "DATE", "VALUE"),
            "category": [{"coding": [{"code": category}]}] if category else [],
            "subject": _ref("Patient", row.get("PATIENT", "")),
            "encounter": _ref("Encounter", row.get("ENCOUNTER", "")),
            "code": _concept(SYSTEMS["LOINC"], row.get("CODE", ""), row.get("DESCRIPTION", "")),
            "effectiveDateTime": row.get("DATE"),
            **value,
        }
    )


def medication(row: Row) -> dict[str, Any]:
    return _clean(
        {
            "resourceType": "MedicationRequest",
            "id": _natural_id(row, "PATIENT", "ENCOUNTER", "CODE", "START"),
            "subject": _ref("Patient", row.get("PATIENT", "")),
            "encounter": _ref("Encounter", row.get("ENCOUNTER", "")),
            "medicationCodeableConcept": _concept(
                SYSTEMS["RxNorm"], row.get("CODE", ""), row.get("DESCRIPTION", "")
            ),
            "authoredOn": row.get("START"),
        }
    )


def procedure(row: Row) -> dict[str, Any]:
    return _clean(
        {
            "resourceType": "Procedure",
            "id": _natural_id(row, "PATIENT", "ENCOUNTER", "CODE", "START"),
            "subject": _ref("Patient", row.get("PATIENT", "")),
            "encounter": _ref("Encounter", row.get("ENCOUNTER", "")),
            "code": _concept(SNOMED, row.get("CODE", ""), row.get("DESCRIPTION", "")),
            "performedPeriod": _clean({"start": row.get("START"), "end": row.get("STOP")}),
        }
    )


def immunization(row: Row) -> dict[str, Any]:
    return _clean(
        {
            "resourceType": "Immunization",
            "id": _natural_id(row, "PATIENT", "ENCOUNTER", "CODE", "DATE"),
            "patient": _ref("Patient", row.get("PATIENT", "")),
            "encounter": _ref("Encounter", row.get("ENCOUNTER", "")),
            "vaccineCode": _concept(
                "http://hl7.org/fhir/sid/cvx", row.get("CODE", ""), row.get("DESCRIPTION", "")
            ),
            "occurrenceDateTime": row.get("DATE"),
        }
    )


def allergy(row: Row) -> dict[str, Any]:
    system = SYSTEMS.get(row.get("SYSTEM", ""), row.get("SYSTEM", "") or SNOMED)
    return _clean(
        {
            "resourceType": "AllergyIntolerance",
            "id": _natural_id(row, "PATIENT", "ENCOUNTER", "CODE", "START"),
            "patient": _ref("Patient", row.get("PATIENT", "")),
            "encounter": _ref("Encounter", row.get("ENCOUNTER", "")),
            "code": _concept(system, row.get("CODE", ""), row.get("DESCRIPTION", "")),
            "recordedDate": row.get("START"),
        }
    )


CONVERTERS: dict[str, Callable[[Row], dict[str, Any]]] = {
    "patients.csv": patient,
    "encounters.csv": encounter,
    "conditions.csv": condition,
    "observations.csv": observation,
    "medications.csv": medication,
    "procedures.csv": procedure,
    "immunizations.csv": immunization,
    "allergies.csv": allergy,
}


def csv_rows(
    name: str, stream: IO[bytes]
) -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
    """``(line, resource, error)`` for each data row of one Synthea CSV file, read as a stream."""
    convert = CONVERTERS[name]
    reader = csv.DictReader(io.TextIOWrapper(stream, encoding="utf-8-sig", newline=""))
    line = 1
    try:
        for line, row in enumerate(reader, start=2):
            if None in row or any(v is None for v in row.values()):
                yield line, None, "row does not have the header's number of columns"
                continue
            yield line, convert(row), None
    except UnicodeDecodeError as exc:
        yield line + 1, None, f"not UTF-8 text: {exc.reason}"
    except csv.Error:  # e.g. a field longer than the csv module's limit; the text is not quoted
        yield line + 1, None, "not a well-formed CSV row"
