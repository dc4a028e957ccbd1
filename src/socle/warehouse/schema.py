"""OMOP CDM v5.4 clinical tables (the subset Socle fills), plus load bookkeeping.

Column names and types follow the OHDSI CDM v5.4 DDL. Direct identifiers have
no column here: ``person_source_value`` holds the keyed pseudonym token, and
only year and month of birth are kept (the exact date is in the vault).
"""

from __future__ import annotations

import pyarrow as pa

I, B, S, D, T, F = (
    pa.int32(),
    pa.int64(),
    pa.string(),
    pa.date32(),
    pa.timestamp("us"),
    pa.float64(),
)

CDM: dict[str, dict[str, pa.DataType]] = {
    "person": {
        "person_id": B, "gender_concept_id": I, "year_of_birth": I, "month_of_birth": I,
        "day_of_birth": I, "birth_datetime": T, "race_concept_id": I, "ethnicity_concept_id": I,
        "location_id": B, "provider_id": B, "care_site_id": B, "person_source_value": S,
        "gender_source_value": S, "gender_source_concept_id": I, "race_source_value": S,
        "race_source_concept_id": I, "ethnicity_source_value": S,
        "ethnicity_source_concept_id": I,
    },
    "death": {
        "person_id": B, "death_date": D, "death_datetime": T, "death_type_concept_id": I,
        "cause_concept_id": I, "cause_source_value": S, "cause_source_concept_id": I,
    },
    "observation_period": {
        "observation_period_id": B, "person_id": B, "observation_period_start_date": D,
        "observation_period_end_date": D, "period_type_concept_id": I,
    },
    "visit_occurrence": {
        "visit_occurrence_id": B, "person_id": B, "visit_concept_id": I, "visit_start_date": D,
        "visit_start_datetime": T, "visit_end_date": D, "visit_end_datetime": T,
        "visit_type_concept_id": I, "provider_id": B, "care_site_id": B, "visit_source_value": S,
        "visit_source_concept_id": I, "admitted_from_concept_id": I,
        "admitted_from_source_value": S, "discharged_to_concept_id": I,
        "discharged_to_source_value": S, "preceding_visit_occurrence_id": B,
    },
    "condition_occurrence": {
        "condition_occurrence_id": B, "person_id": B, "condition_concept_id": I,
        "condition_start_date": D, "condition_start_datetime": T, "condition_end_date": D,
        "condition_end_datetime": T, "condition_type_concept_id": I,
        "condition_status_concept_id": I, "stop_reason": S, "provider_id": B,
        "visit_occurrence_id": B, "visit_detail_id": B, "condition_source_value": S,
        "condition_source_concept_id": I, "condition_status_source_value": S,
    },
    "drug_exposure": {
        "drug_exposure_id": B, "person_id": B, "drug_concept_id": I,
        "drug_exposure_start_date": D, "drug_exposure_start_datetime": T,
        "drug_exposure_end_date": D, "drug_exposure_end_datetime": T, "verbatim_end_date": D,
        "drug_type_concept_id": I, "stop_reason": S, "refills": I, "quantity": F,
        "days_supply": I, "sig": S, "route_concept_id": I, "lot_number": S, "provider_id": B,
        "visit_occurrence_id": B, "visit_detail_id": B, "drug_source_value": S,
        "drug_source_concept_id": I, "route_source_value": S, "dose_unit_source_value": S,
    },
    "procedure_occurrence": {
        "procedure_occurrence_id": B, "person_id": B, "procedure_concept_id": I,
        "procedure_date": D, "procedure_datetime": T, "procedure_end_date": D,
        "procedure_end_datetime": T, "procedure_type_concept_id": I, "modifier_concept_id": I,
        "quantity": I, "provider_id": B, "visit_occurrence_id": B, "visit_detail_id": B,
        "procedure_source_value": S, "procedure_source_concept_id": I,
        "modifier_source_value": S,
    },
    "measurement": {
        "measurement_id": B, "person_id": B, "measurement_concept_id": I,
        "measurement_date": D, "measurement_datetime": T, "measurement_time": S,
        "measurement_type_concept_id": I, "operator_concept_id": I, "value_as_number": F,
        "value_as_concept_id": I, "unit_concept_id": I, "range_low": F, "range_high": F,
        "provider_id": B, "visit_occurrence_id": B, "visit_detail_id": B,
        "measurement_source_value": S, "measurement_source_concept_id": I,
        "unit_source_value": S, "unit_source_concept_id": I, "value_source_value": S,
        "measurement_event_id": B, "meas_event_field_concept_id": I,
    },
    "observation": {
        "observation_id": B, "person_id": B, "observation_concept_id": I,
        "observation_date": D, "observation_datetime": T, "observation_type_concept_id": I,
        "value_as_number": F, "value_as_string": S, "value_as_concept_id": I,
        "qualifier_concept_id": I, "unit_concept_id": I, "provider_id": B,
        "visit_occurrence_id": B, "visit_detail_id": B, "observation_source_value": S,
        "observation_source_concept_id": I, "unit_source_value": S, "qualifier_source_value": S,
        "value_source_value": S, "observation_event_id": B, "obs_event_field_concept_id": I,
    },
}  # fmt: skip

PRIMARY_KEYS = {
    "person": "person_id",
    "death": "person_id",
    "observation_period": "observation_period_id",
    "visit_occurrence": "visit_occurrence_id",
    "condition_occurrence": "condition_occurrence_id",
    "drug_exposure": "drug_exposure_id",
    "procedure_occurrence": "procedure_occurrence_id",
    "measurement": "measurement_id",
    "observation": "observation_id",
}

# The date that places an event in time, per table (for periods and coverage).
EVENT_DATE = {
    "visit_occurrence": "visit_start_date",
    "condition_occurrence": "condition_start_date",
    "drug_exposure": "drug_exposure_start_date",
    "procedure_occurrence": "procedure_date",
    "measurement": "measurement_date",
    "observation": "observation_date",
}

SUPPORT: dict[str, dict[str, pa.DataType]] = {
    "source_code": {"vocabulary_id": S, "code": S, "display": S},
    "quarantine": {
        "load_id": S, "file": S, "position": I, "resource_type": S, "reason": S,
    },
    "load_log": {
        "load_id": S, "started_at": T, "finished_at": T, "files": I, "read": I, "loaded": I,
        "quarantined": I, "skipped": I,
    },
}  # fmt: skip

SUPPORT_KEYS = {"source_code": "vocabulary_id, code"}

# Tables of a load's staging database only: one row per accepted resource, in the order
# accepted, so the end of the load can find resources of unknown patients and duplicates.
STAGING: dict[str, dict[str, pa.DataType]] = {
    "load_ledger": {
        "resource_type": S, "resource_key": B, "person_id": B, "file": S, "position": I,
    },
}  # fmt: skip

# OMOP standardised vocabulary tables (the subset an Athena export needs for mapping).
VOCABULARY: dict[str, dict[str, pa.DataType]] = {
    "concept": {
        "concept_id": I, "concept_name": S, "domain_id": S, "vocabulary_id": S,
        "concept_class_id": S, "standard_concept": S, "concept_code": S,
        "valid_start_date": D, "valid_end_date": D, "invalid_reason": S,
    },
    "concept_relationship": {
        "concept_id_1": I, "concept_id_2": I, "relationship_id": S, "valid_start_date": D,
        "valid_end_date": D, "invalid_reason": S,
    },
    "concept_ancestor": {
        "ancestor_concept_id": I, "descendant_concept_id": I, "min_levels_of_separation": I,
        "max_levels_of_separation": I,
    },
}  # fmt: skip

_DUCK = {I: "INTEGER", B: "BIGINT", S: "VARCHAR", D: "DATE", T: "TIMESTAMP", F: "DOUBLE"}


def arrow_schema(table: str) -> pa.Schema:
    cols = CDM.get(table) or SUPPORT.get(table) or STAGING[table]
    return pa.schema([(name, typ) for name, typ in cols.items()])


def upsert_key(table: str) -> str | None:
    """The columns a re-load replaces rows by (``None``: append only)."""
    return PRIMARY_KEYS.get(table) or SUPPORT_KEYS.get(table)


def staging_ddl() -> list[str]:
    """CREATE TABLE statements of the staging-only tables (in the ``stage`` database)."""
    return [
        f"CREATE TABLE stage.{table} ("
        + ", ".join(f"{name} {_DUCK[typ]}" for name, typ in cols.items())
        + ")"
        for table, cols in STAGING.items()
    ]


def ddl() -> list[str]:
    """CREATE TABLE statements for every table.

    Keys are enforced by the writer's delete-then-insert upsert rather than by
    DuckDB index constraints, which slow bulk loads and complicate re-loads in
    one transaction.
    """
    statements = []
    for table, cols in {**CDM, **SUPPORT, **VOCABULARY}.items():
        body = ", ".join(f"{name} {_DUCK[typ]}" for name, typ in cols.items())
        statements.append(f"CREATE TABLE IF NOT EXISTS {table} ({body})")
    return statements
