"""OMOP CDM v5.4 tables (all 39 of the v5.4 DDL), plus load bookkeeping.

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
    "visit_detail": {
        "visit_detail_id": B, "person_id": B, "visit_detail_concept_id": I,
        "visit_detail_start_date": D, "visit_detail_start_datetime": T,
        "visit_detail_end_date": D, "visit_detail_end_datetime": T,
        "visit_detail_type_concept_id": I, "provider_id": B, "care_site_id": B,
        "visit_detail_source_value": S, "visit_detail_source_concept_id": I,
        "admitted_from_concept_id": I, "admitted_from_source_value": S,
        "discharged_to_source_value": S, "discharged_to_concept_id": I,
        "preceding_visit_detail_id": B, "parent_visit_detail_id": B, "visit_occurrence_id": B,
    },
    "device_exposure": {
        "device_exposure_id": B, "person_id": B, "device_concept_id": I,
        "device_exposure_start_date": D, "device_exposure_start_datetime": T,
        "device_exposure_end_date": D, "device_exposure_end_datetime": T,
        "device_type_concept_id": I, "unique_device_id": S, "production_id": S, "quantity": I,
        "provider_id": B, "visit_occurrence_id": B, "visit_detail_id": B,
        "device_source_value": S, "device_source_concept_id": I, "unit_concept_id": I,
        "unit_source_value": S, "unit_source_concept_id": I,
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
    "location": {
        "location_id": B, "address_1": S, "address_2": S, "city": S, "state": S, "zip": S,
        "county": S, "location_source_value": S, "country_concept_id": I,
        "country_source_value": S, "latitude": F, "longitude": F,
    },
    "care_site": {
        "care_site_id": B, "care_site_name": S, "place_of_service_concept_id": I,
        "location_id": B, "care_site_source_value": S, "place_of_service_source_value": S,
    },
    "provider": {
        "provider_id": B, "provider_name": S, "npi": S, "dea": S, "specialty_concept_id": I,
        "care_site_id": B, "year_of_birth": I, "gender_concept_id": I,
        "provider_source_value": S, "specialty_source_value": S,
        "specialty_source_concept_id": I, "gender_source_value": S,
        "gender_source_concept_id": I,
    },
    "payer_plan_period": {
        "payer_plan_period_id": B, "person_id": B, "payer_plan_period_start_date": D,
        "payer_plan_period_end_date": D, "payer_concept_id": I, "payer_source_value": S,
        "payer_source_concept_id": I, "plan_concept_id": I, "plan_source_value": S,
        "plan_source_concept_id": I, "sponsor_concept_id": I, "sponsor_source_value": S,
        "sponsor_source_concept_id": I, "family_source_value": S, "stop_reason_concept_id": I,
        "stop_reason_source_value": S, "stop_reason_source_concept_id": I,
    },
    "cost": {
        "cost_id": B, "cost_event_id": B, "cost_domain_id": S, "cost_type_concept_id": I,
        "currency_concept_id": I, "total_charge": F, "total_cost": F, "total_paid": F,
        "paid_by_payer": F, "paid_by_patient": F, "paid_patient_copay": F,
        "paid_patient_coinsurance": F, "paid_patient_deductible": F, "paid_by_primary": F,
        "paid_ingredient_cost": F, "paid_dispensing_fee": F, "payer_plan_period_id": B,
        "amount_allowed": F, "revenue_code_concept_id": I, "revenue_code_source_value": S,
        "drg_concept_id": I, "drg_source_value": S,
    },
    "note": {
        "note_id": B, "person_id": B, "note_date": D, "note_datetime": T,
        "note_type_concept_id": I, "note_class_concept_id": I, "note_title": S, "note_text": S,
        "encoding_concept_id": I, "language_concept_id": I, "provider_id": B,
        "visit_occurrence_id": B, "visit_detail_id": B, "note_source_value": S,
        "note_event_id": B, "note_event_field_concept_id": I,
    },
    "note_nlp": {
        "note_nlp_id": B, "note_id": B, "section_concept_id": I, "snippet": S, "offset": S,
        "lexical_variant": S, "note_nlp_concept_id": I, "note_nlp_source_concept_id": I,
        "nlp_system": S, "nlp_date": D, "nlp_datetime": T, "term_exists": S,
        "term_temporal": S, "term_modifiers": S,
    },
    "specimen": {
        "specimen_id": B, "person_id": B, "specimen_concept_id": I,
        "specimen_type_concept_id": I, "specimen_date": D, "specimen_datetime": T,
        "quantity": F, "unit_concept_id": I, "anatomic_site_concept_id": I,
        "disease_status_concept_id": I, "specimen_source_id": S, "specimen_source_value": S,
        "unit_source_value": S, "anatomic_site_source_value": S,
        "disease_status_source_value": S,
    },
    "fact_relationship": {
        "domain_concept_id_1": I, "fact_id_1": B, "domain_concept_id_2": I, "fact_id_2": B,
        "relationship_concept_id": I,
    },
    "episode": {
        "episode_id": B, "person_id": B, "episode_concept_id": I, "episode_start_date": D,
        "episode_start_datetime": T, "episode_end_date": D, "episode_end_datetime": T,
        "episode_parent_id": B, "episode_number": I, "episode_object_concept_id": I,
        "episode_type_concept_id": I, "episode_source_value": S,
        "episode_source_concept_id": I,
    },
    "episode_event": {
        "episode_id": B, "event_id": B, "episode_event_field_concept_id": I,
    },
    "condition_era": {
        "condition_era_id": B, "person_id": B, "condition_concept_id": I,
        "condition_era_start_date": D, "condition_era_end_date": D,
        "condition_occurrence_count": I,
    },
    "drug_era": {
        "drug_era_id": B, "person_id": B, "drug_concept_id": I, "drug_era_start_date": D,
        "drug_era_end_date": D, "drug_exposure_count": I, "gap_days": I,
    },
    "dose_era": {
        "dose_era_id": B, "person_id": B, "drug_concept_id": I, "unit_concept_id": I,
        "dose_value": F, "dose_era_start_date": D, "dose_era_end_date": D,
    },
    "metadata": {
        "metadata_id": I, "metadata_concept_id": I, "metadata_type_concept_id": I, "name": S,
        "value_as_string": S, "value_as_concept_id": I, "value_as_number": F,
        "metadata_date": D, "metadata_datetime": T,
    },
    "cdm_source": {
        "cdm_source_name": S, "cdm_source_abbreviation": S, "cdm_holder": S,
        "source_description": S, "source_documentation_reference": S,
        "cdm_etl_reference": S, "source_release_date": D, "cdm_release_date": D,
        "cdm_version": S, "cdm_version_concept_id": I, "vocabulary_version": S,
    },
    "cohort": {
        "cohort_definition_id": I, "subject_id": B, "cohort_start_date": D,
        "cohort_end_date": D,
    },
    "cohort_definition": {
        "cohort_definition_id": I, "cohort_definition_name": S,
        "cohort_definition_description": S, "definition_type_concept_id": I,
        "cohort_definition_syntax": S, "subject_concept_id": I,
        "cohort_initiation_date": D,
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
    "visit_detail": "visit_detail_id",
    "device_exposure": "device_exposure_id",
    "location": "location_id",
    "care_site": "care_site_id",
    "provider": "provider_id",
    "payer_plan_period": "payer_plan_period_id",
    "cost": "cost_id",
    "note": "note_id",
    "note_nlp": "note_nlp_id",
    "specimen": "specimen_id",
    "episode": "episode_id",
}

# Tables computed from the others after every load (never staged, never re-keyed).
DERIVED = ("observation_period", "condition_era", "drug_era", "dose_era", "cdm_source")

# The date that places an event in time, per table (for periods and coverage).
EVENT_DATE = {
    "visit_occurrence": "visit_start_date",
    "condition_occurrence": "condition_start_date",
    "drug_exposure": "drug_exposure_start_date",
    "procedure_occurrence": "procedure_date",
    "measurement": "measurement_date",
    "observation": "observation_date",
    "visit_detail": "visit_detail_start_date",
    "device_exposure": "device_exposure_start_date",
}

# The date that ends an event, per table (observation periods cover it too).
EVENT_END = {
    "visit_occurrence": "visit_end_date",
    "condition_occurrence": "condition_end_date",
    "drug_exposure": "drug_exposure_end_date",
    "procedure_occurrence": "procedure_end_date",
    "visit_detail": "visit_detail_end_date",
    "device_exposure": "device_exposure_end_date",
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
    # Extra rows written for a source code with several "Maps to" targets (re-mapping
    # deletes them before routing again).
    "mapping_copy": {"table_name": S, "row_id": B, "origin_id": B},
}  # fmt: skip

SUPPORT_KEYS = {"source_code": "vocabulary_id, code"}

# Tables of a load's staging database only: one row per accepted resource, in the order
# accepted, so the end of the load can find resources of unknown patients and duplicates.
STAGING: dict[str, dict[str, pa.DataType]] = {
    "load_ledger": {
        "resource_type": S, "resource_key": B, "person_id": B, "file": S, "position": I,
    },
}  # fmt: skip

# OMOP CDM v5.4 standardised vocabulary tables (loaded from Athena, never staged).
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
    "vocabulary": {
        "vocabulary_id": S, "vocabulary_name": S, "vocabulary_reference": S,
        "vocabulary_version": S, "vocabulary_concept_id": I,
    },
    "domain": {"domain_id": S, "domain_name": S, "domain_concept_id": I},
    "concept_class": {
        "concept_class_id": S, "concept_class_name": S, "concept_class_concept_id": I,
    },
    "relationship": {
        "relationship_id": S, "relationship_name": S, "is_hierarchical": S,
        "defines_ancestry": S, "reverse_relationship_id": S, "relationship_concept_id": I,
    },
    "concept_synonym": {"concept_id": I, "concept_synonym_name": S, "language_concept_id": I},
    "drug_strength": {
        "drug_concept_id": I, "ingredient_concept_id": I, "amount_value": F,
        "amount_unit_concept_id": I, "numerator_value": F, "numerator_unit_concept_id": I,
        "denominator_value": F, "denominator_unit_concept_id": I, "box_size": I,
        "valid_start_date": D, "valid_end_date": D, "invalid_reason": S,
    },
    "source_to_concept_map": {
        "source_code": S, "source_concept_id": I, "source_vocabulary_id": S,
        "source_code_description": S, "target_concept_id": I, "target_vocabulary_id": S,
        "valid_start_date": D, "valid_end_date": D, "invalid_reason": S,
    },
}  # fmt: skip

_DUCK = {I: "INTEGER", B: "BIGINT", S: "VARCHAR", D: "DATE", T: "TIMESTAMP", F: "DOUBLE"}


def duck_type(typ: pa.DataType) -> str:
    return _DUCK[typ]


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
        body = ", ".join(f'"{name}" {_DUCK[typ]}' for name, typ in cols.items())
        statements.append(f"CREATE TABLE IF NOT EXISTS {table} ({body})")
    return statements
