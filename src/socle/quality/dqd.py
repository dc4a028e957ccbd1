"""Data-quality checks after OHDSI's Data Quality Dashboard (DQD), instantiated from the schema.

Each check names its DQD family (conformance, completeness, plausibility),
its level (table, field, concept), the table and field it applies to, and a
threshold: the percentage of failing rows it tolerates. Running it counts
failing rows and the rows it looked at (aggregates only). A check on an empty
table is *not applicable*, as in DQD.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from socle.warehouse import (
    CDM,
    EVENT_DATE,
    EVENT_END,
    EVENT_TABLES,
    PRIMARY_KEYS,
    VOCABULARY_TABLES,
    Warehouse,
)

# Foreign keys by column name → (table, key).
FOREIGN_KEYS = {
    "person_id": ("person", "person_id"),
    "visit_occurrence_id": ("visit_occurrence", "visit_occurrence_id"),
    "visit_detail_id": ("visit_detail", "visit_detail_id"),
    "provider_id": ("provider", "provider_id"),
    "care_site_id": ("care_site", "care_site_id"),
    "location_id": ("location", "location_id"),
}
# Domain each concept column must hold (fkDomain).
CONCEPT_DOMAIN = {
    ("person", "gender_concept_id"): "Gender",
    ("person", "race_concept_id"): "Race",
    ("person", "ethnicity_concept_id"): "Ethnicity",
    ("visit_occurrence", "visit_concept_id"): "Visit",
    ("visit_detail", "visit_detail_concept_id"): "Visit",
    ("condition_occurrence", "condition_concept_id"): "Condition",
    ("procedure_occurrence", "procedure_concept_id"): "Procedure",
    ("measurement", "measurement_concept_id"): "Measurement",
    ("observation", "observation_concept_id"): "Observation",
    ("drug_exposure", "drug_concept_id"): "Drug",
    ("device_exposure", "device_concept_id"): "Device",
    ("measurement", "unit_concept_id"): "Unit",
    ("observation", "unit_concept_id"): "Unit",
    ("death", "cause_concept_id"): "Condition",
}
# Concept-level plausible ranges of measurements (standard concept, unit, low, high).
PLAUSIBLE_VALUES = (
    (3036277, "cm", 20.0, 250.0),  # body height
    (3025315, "kg", 0.5, 350.0),  # body weight
    (3038553, "kg/m2", 8.0, 90.0),  # BMI
    (3004249, "mm[Hg]", 40.0, 300.0),  # systolic blood pressure
    (3012888, "mm[Hg]", 20.0, 200.0),  # diastolic blood pressure
    (3027018, "/min", 20.0, 300.0),  # heart rate
    (3024171, "/min", 4.0, 80.0),  # respiratory rate
    (3020891, "Cel", 30.0, 45.0),  # body temperature
    (3004410, "%", 2.0, 20.0),  # hemoglobin A1c
)


@dataclass(frozen=True)
class Check:
    name: str
    category: str  # Conformance, Completeness, Plausibility
    level: str  # TABLE, FIELD, CONCEPT
    table: str
    field: str
    threshold: float  # % of failing rows tolerated
    violated_sql: str  # SELECT count(*) of failing rows
    denominator_sql: str  # SELECT count(*) of rows checked
    description: str


@dataclass(frozen=True)
class CheckResult:
    check: Check
    violated: int
    denominator: int
    status: str  # passed, failed, not_applicable

    @property
    def pct(self) -> float:
        return 100.0 * self.violated / self.denominator if self.denominator else 0.0


def _count(table: str, where: str = "TRUE") -> str:
    return f"SELECT count(*) FROM {table} WHERE {where}"


def _required(table: str) -> list[str]:
    """Fields the CDM v5.4 DDL declares NOT NULL (the key, person, main concept, type, start)."""
    cols = CDM[table]
    fields = [c for c in (PRIMARY_KEYS.get(table), "person_id") if c and c in cols]
    fields += [c for c in cols if c.endswith("_type_concept_id")]
    if table in EVENT_TABLES:
        fields.append(EVENT_TABLES[table])
    if table in EVENT_DATE:
        fields.append(EVENT_DATE[table])
    if table == "drug_exposure":
        fields.append("drug_exposure_end_date")
    return list(dict.fromkeys(fields))


def table_checks() -> Iterator[Check]:
    for table in (*CDM, *VOCABULARY_TABLES):
        yield Check(
            "cdmTable", "Conformance", "TABLE", table, "", 0,
            "SELECT count(*) = 0 FROM information_schema.tables "
            f"WHERE table_schema = 'main' AND table_name = '{table}'",
            "SELECT 1", f"the CDM table {table} exists",
        )  # fmt: skip
    yield Check(
        "measurePersonCompleteness", "Completeness", "TABLE", "observation_period", "", 0,
        _count("person", "person_id NOT IN (SELECT person_id FROM observation_period)"),
        _count("person"), "every person has an observation period",
    )  # fmt: skip
    for table in ("visit_occurrence", "condition_occurrence", "drug_exposure", "measurement"):
        yield Check(
            "measurePersonCompleteness", "Completeness", "TABLE", table, "", 95,
            _count("person", f"person_id NOT IN (SELECT person_id FROM {table})"),
            _count("person"), f"persons with no {table} record",
        )  # fmt: skip


def field_checks() -> Iterator[Check]:
    for table, cols in CDM.items():
        required = _required(table)
        key = PRIMARY_KEYS.get(table)
        if key:
            yield Check(
                "isPrimaryKey", "Conformance", "FIELD", table, key, 0,
                f"SELECT count(*) - count(DISTINCT {key}) FROM {table}", _count(table),
                f"{key} is unique",
            )  # fmt: skip
        for field in cols:
            if field in required:
                yield Check(
                    "isRequired", "Conformance", "FIELD", table, field, 0,
                    _count(table, f'"{field}" IS NULL'), _count(table),
                    f"{field} is filled in every row",
                )  # fmt: skip
            else:
                yield Check(
                    "measureValueCompleteness", "Completeness", "FIELD", table, field, 100,
                    _count(table, f'"{field}" IS NULL'), _count(table),
                    f"share of rows without {field} (informative)",
                )  # fmt: skip
            target = FOREIGN_KEYS.get(field)
            if target and target[0] != table:
                yield Check(
                    "isForeignKey", "Conformance", "FIELD", table, field, 0,
                    _count(table, f"{field} IS NOT NULL AND {field} NOT IN "
                           f"(SELECT {target[1]} FROM {target[0]})"),
                    _count(table, f"{field} IS NOT NULL"),
                    f"{field} refers to an existing {target[0]} row",
                )  # fmt: skip
            if field.endswith("_concept_id"):
                yield from _concept_field_checks(table, field)
        yield from _date_checks(table, cols)


def _concept_field_checks(table: str, field: str) -> Iterator[Check]:
    known = f"{field} <> 0 AND {field} IN (SELECT concept_id FROM concept)"
    yield Check(
        "isForeignKey", "Conformance", "FIELD", table, field, 0,
        _count(table, f"{field} <> 0 AND {field} NOT IN (SELECT concept_id FROM concept) "
               "AND EXISTS (SELECT 1 FROM concept)"),
        _count(table, f"{field} <> 0"), f"{field} is a concept of the loaded vocabulary",
    )  # fmt: skip
    domain = CONCEPT_DOMAIN.get((table, field))
    if domain:
        yield Check(
            "fkDomain", "Conformance", "FIELD", table, field, 0,
            _count(table, f"{known} AND {field} NOT IN "
                   f"(SELECT concept_id FROM concept WHERE domain_id = '{domain}')"),
            _count(table, known), f"{field} holds concepts of the {domain} domain",
        )  # fmt: skip
    if not field.endswith("_source_concept_id"):
        yield Check(
            "isStandardValidConcept", "Conformance", "FIELD", table, field, 0,
            _count(table, f"{known} AND {field} NOT IN (SELECT concept_id FROM concept WHERE "
                   "standard_concept = 'S' AND coalesce(invalid_reason, '') = '')"),
            _count(table, known), f"{field} holds valid standard concepts",
        )  # fmt: skip
    if EVENT_TABLES.get(table) == field or (table, field) in CONCEPT_DOMAIN:
        # A unit or cause is checked only where the source gave one.
        given = {"unit_concept_id": "unit_source_value IS NOT NULL",
                 "cause_concept_id": "cause_source_value IS NOT NULL"}.get(field, "TRUE")  # fmt: skip
        yield Check(
            "standardConceptRecordCompleteness", "Completeness", "FIELD", table, field, 5,
            _count(table, f"{given} AND coalesce({field}, 0) = 0"), _count(table, given),
            f"rows whose {field} is 0 (no standard concept)",
        )  # fmt: skip


def _date_checks(table: str, cols: dict[str, object]) -> Iterator[Check]:
    if "person_id" not in cols or table == "person":
        return
    birth = "(SELECT year_of_birth FROM person p WHERE p.person_id = t.person_id)"
    death = "(SELECT death_date FROM death d WHERE d.person_id = t.person_id)"
    for field, typ in cols.items():
        if str(typ) != "date32[day]":
            continue
        source = f"{table} t"
        yield Check(
            "plausibleAfterBirth", "Plausibility", "FIELD", table, field, 1,
            _count(source, f"{field} IS NOT NULL AND year({field}) < {birth}"),
            _count(source, f"{field} IS NOT NULL"), f"{field} is not before the year of birth",
        )  # fmt: skip
        if table != "death":
            yield Check(
                "plausibleBeforeDeath", "Plausibility", "FIELD", table, field, 1,
                _count(source, f"{field} > {death} + INTERVAL 60 DAY"),
                _count(source, f"{field} IS NOT NULL"),
                f"{field} is not more than 60 days after death",
            )  # fmt: skip
        yield Check(
            "plausibleDuringLife", "Plausibility", "FIELD", table, field, 1,
            _count(table, f"{field} > current_date"), _count(table, f"{field} IS NOT NULL"),
            f"{field} is not in the future",
        )  # fmt: skip
    start, end = EVENT_DATE.get(table), EVENT_END.get(table)
    if start and end:
        yield Check(
            "plausibleStartBeforeEnd", "Plausibility", "FIELD", table, end, 1,
            _count(table, f"{end} < {start}"), _count(table, f"{end} IS NOT NULL"),
            f"{end} is not before {start}",
        )  # fmt: skip


def value_checks() -> Iterator[Check]:
    this_year = date.today().year
    yield Check(
        "plausibleValueLow", "Plausibility", "FIELD", "person", "year_of_birth", 1,
        _count("person", "year_of_birth < 1850"), _count("person"), "born after 1850",
    )  # fmt: skip
    yield Check(
        "plausibleValueHigh", "Plausibility", "FIELD", "person", "year_of_birth", 1,
        _count("person", f"year_of_birth > {this_year}"), _count("person"), "born by this year",
    )  # fmt: skip
    for table, field, low, high in (
        ("drug_exposure", "days_supply", 0, 365),
        ("drug_exposure", "refills", 0, 24),
        ("drug_exposure", "quantity", 0, 10_000),
        ("procedure_occurrence", "quantity", 0, 100),
        ("device_exposure", "quantity", 0, 1_000),
    ):
        filled = _count(table, f"{field} IS NOT NULL")
        yield Check(
            "plausibleValueLow", "Plausibility", "FIELD", table, field, 1,
            _count(table, f"{field} < {low}"), filled, f"{field} ≥ {low}",
        )  # fmt: skip
        yield Check(
            "plausibleValueHigh", "Plausibility", "FIELD", table, field, 1,
            _count(table, f"{field} > {high}"), filled, f"{field} ≤ {high}",
        )  # fmt: skip
    for concept, unit, floor, ceiling in PLAUSIBLE_VALUES:
        rows = f"measurement_concept_id = {concept} AND value_as_number IS NOT NULL"
        yield Check(
            "plausibleValueLow", "Plausibility", "CONCEPT", "measurement", str(concept), 1,
            _count("measurement", f"{rows} AND value_as_number < {floor}"),
            _count("measurement", rows), f"concept {concept} value ≥ {floor} {unit}",
        )  # fmt: skip
        yield Check(
            "plausibleValueHigh", "Plausibility", "CONCEPT", "measurement", str(concept), 1,
            _count("measurement", f"{rows} AND value_as_number > {ceiling}"),
            _count("measurement", rows), f"concept {concept} value ≤ {ceiling} {unit}",
        )  # fmt: skip
    yield Check(
        "withinVisitDates", "Plausibility", "FIELD", "condition_occurrence",
        "condition_start_date", 5,
        _count("condition_occurrence c JOIN visit_occurrence v USING (visit_occurrence_id)",
               "c.condition_start_date NOT BETWEEN v.visit_start_date - INTERVAL 7 DAY "
               "AND v.visit_end_date + INTERVAL 7 DAY"),
        _count("condition_occurrence", "visit_occurrence_id IS NOT NULL"),
        "a condition starts within a week of its visit",
    )  # fmt: skip


def all_checks() -> list[Check]:
    return [*table_checks(), *field_checks(), *value_checks()]


def _counts(wh: Warehouse, checks: list[Check]) -> dict[str, int]:
    """The count of every distinct query (checks share their denominators).

    One query per count: DuckDB plans each membership test as a hash join,
    where a single scan with many ``FILTER`` clauses turned out 5x slower.
    """
    counts: dict[str, int] = {}
    for check in checks:
        for sql in (check.denominator_sql, check.violated_sql):
            if sql not in counts:
                [(n,)] = wh.aggregate(sql)
                counts[sql] = int(n or 0)
    return counts


def run_checks(wh: Warehouse, checks: list[Check] | None = None) -> list[CheckResult]:
    checks = checks if checks is not None else all_checks()
    counts = _counts(wh, checks)
    results = []
    for check in checks:
        denominator = counts[check.denominator_sql]
        violated = counts[check.violated_sql] if denominator else 0
        if not denominator:
            status = "not_applicable"
        elif 100.0 * violated / denominator > check.threshold:
            status = "failed"
        else:
            status = "passed"
        results.append(CheckResult(check, violated, denominator, status))
    return results
