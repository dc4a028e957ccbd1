"""Plain-language descriptions of the warehouse's OMOP CDM tables and columns.

The dictionary is derived from the warehouse: every CDM column is described,
specific columns by name, the others by the OMOP naming conventions.
"""

from __future__ import annotations

TABLES = {
    "person": "One row per patient: sex, year and month of birth, pseudonym",
    "death": "Date and cause of death",
    "observation_period": "Span of time each person is followed in the data",
    "visit_occurrence": "Encounters: inpatient stays, outpatient and emergency visits",
    "condition_occurrence": "Diagnoses and problems (SNOMED CT)",
    "drug_exposure": "Medications prescribed or administered (RxNorm)",
    "procedure_occurrence": "Procedures performed (SNOMED CT)",
    "measurement": "Laboratory results and vital signs (LOINC), with values and units",
    "observation": "Other clinical facts: allergies, immunisations, survey answers",
    "note": "Clinical notes, de-identified (names, contacts, identifiers removed; dates shifted)",
    "note_nlp": "What de-identification removed from each note: type and place, never the value",
}

# Variables whose release needs more than a sentence: free text may hold an identifier
# nobody knew of (see docs/notes.md). A request needs their own justification, and no
# output may contain them (aggregates or model outputs only).
HIGH_RISK = {
    ("note", "note_text"): "free text, de-identified: an identifier nobody knew of may remain",
}

COLUMNS = {
    "person_id": "Pseudonymous person number (keyed HMAC of the source id, not reversible)",
    "person_source_value": "Keyed pseudonym token of the patient (never the source identifier)",
    "year_of_birth": "Year of birth (the exact date stays in the identity vault)",
    "month_of_birth": "Month of birth",
    "day_of_birth": "Day of birth (not filled: kept in the identity vault)",
    "birth_datetime": "Birth date and time (not filled: kept in the identity vault)",
    "value_as_number": "Numeric value of the result",
    "value_as_string": "Text value of the result",
    "range_low": "Lower bound of the normal range",
    "range_high": "Upper bound of the normal range",
    "quantity": "Quantity dispensed or performed",
    "days_supply": "Days of supply of the medication",
    "refills": "Number of refills",
    "sig": "Dosage instructions as written",
    "stop_reason": "Why the drug or condition was stopped",
    "lot_number": "Lot number of the product",
    "measurement_time": "Time of the measurement",
    "note_text": "HIGH RISK: the note's text, de-identified (typed surrogates, shifted dates)",
}


def high_risk(table: str, column: str) -> str | None:
    """Why ``table.column`` is a high-risk variable, or ``None``."""
    return HIGH_RISK.get((table, column))


def describe(table: str, column: str) -> str:
    """A one-line description of ``table.column`` for the variable dictionary."""
    if column in COLUMNS:
        return COLUMNS[column]
    stem = column
    for suffix, template in (
        ("_source_concept_id", "Source-vocabulary concept of {}"),
        ("_type_concept_id", "Provenance (type) concept of {}"),
        ("_concept_id", "OMOP standard concept of {}"),
        ("_source_value", "Code or value of {} as recorded at the source (VOCABULARY|code)"),
        ("_datetime", "Date and time of {}"),
        ("_date", "Date of {}"),
        ("_id", "Identifier of {}"),
    ):
        if column.endswith(suffix):
            stem = column[: -len(suffix)].replace("_", " ") or table.replace("_", " ")
            return template.format(stem)
    return f"{stem.replace('_', ' ').capitalize()} ({TABLES.get(table, table).split(':')[0]})"
