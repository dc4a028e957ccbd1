"""The training set of a model definition, built inside the workspace checkpoint.

Each row is one index date of one person (see :mod:`socle.ai.definitions`):
features are age, sex and the latest value of each measured feature in the
look-back window before the index; the label is the outcome within the time at
risk. An index without the outcome and without follow-up to the end of the time
at risk is censored (dropped). Codes were validated when the definition was parsed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from socle.ai.definitions import DEFAULT_DEFINITION, ModelDefinition, definition
from socle.warehouse import ScopedReader, sex_label

_DEFAULT = definition(DEFAULT_DEFINITION)
FEATURES = _DEFAULT.feature_names
MEASURES = dict(_DEFAULT.features)
TARGET_LABEL = _DEFAULT.outcome_label
BASE_NEEDS = {
    "person": ["year_of_birth", "gender_concept_id"],
    "measurement": ["measurement_source_value", "value_as_number", "measurement_date"],
    "condition_occurrence": ["condition_source_value", "condition_start_date"],
    "observation_period": ["observation_period_start_date", "observation_period_end_date"],
}
VISITS = {"visit_occurrence": ["visit_concept_id", "visit_start_date", "visit_end_date"]}
INPATIENT = 9201


@dataclass(frozen=True)
class TrainingSet:
    X: np.ndarray
    y: np.ndarray
    groups: np.ndarray  # person ids, for a person-level split; never released
    persons: int
    index_year: np.ndarray | None = None  # year of each index date, for temporal validation
    feature_names: tuple[str, ...] = FEATURES


def needs(d: ModelDefinition) -> dict[str, list[str]]:
    """The grant columns a definition reads."""
    uses_visits = d.index == "inpatient_discharge" or d.outcome_domain == "inpatient_admission"
    return BASE_NEEDS | (VISITS if uses_visits else {})


def _codes(codes: tuple[str, ...]) -> str:
    return ", ".join(f"'{c}'" for c in codes)  # validated VOCABULARY|code strings only


def _index_sql(d: ModelDefinition) -> str:
    first, last = d.years
    sex = f"CAST({sex_label('p.gender_concept_id')} = 'M' AS INTEGER)"
    base = f"""SELECT p.person_id, i.idx AS landmark, year(i.idx) - p.year_of_birth AS age,
                      {sex} AS male, o.observation_period_end_date AS obs_end
               FROM scoped_person p JOIN scoped_observation_period o USING (person_id)
               JOIN ({{indexes}}) i USING (person_id)
               WHERE i.idx BETWEEN o.observation_period_start_date
                               AND o.observation_period_end_date
                 AND year(i.idx) - p.year_of_birth >= {d.min_age}
                 AND year(i.idx) BETWEEN {first} AND {last}"""
    if d.index == "yearly":
        indexes = f"""SELECT person_id, make_date(y, 1, 1) AS idx
                      FROM scoped_person CROSS JOIN range({first}, {last + 1}) t(y)"""
        if d.cohort:
            indexes += f""" WHERE EXISTS (SELECT 1 FROM scoped_condition_occurrence c
                WHERE c.person_id = scoped_person.person_id
                  AND c.condition_source_value IN ({_codes(d.cohort)})
                  AND c.condition_start_date < make_date(y, 1, 1))"""
    elif d.index == "condition":
        indexes = f"""SELECT person_id, min(condition_start_date) AS idx
                      FROM scoped_condition_occurrence
                      WHERE condition_source_value IN ({_codes(d.cohort)}) GROUP BY person_id"""
    else:
        indexes = f"""SELECT person_id, visit_end_date AS idx FROM scoped_visit_occurrence
                      WHERE visit_concept_id = {INPATIENT}"""
    return base.replace("{indexes}", indexes)


def _label_sql(d: ModelDefinition) -> tuple[str, str, str]:
    """(CTE, label expression, filter) of the outcome within the time at risk."""
    start, end = d.time_at_risk_days
    window = f"BETWEEN l.landmark + INTERVAL {start} DAY AND l.landmark + INTERVAL {end} DAY"
    followed = f"l.obs_end >= l.landmark + INTERVAL {end} DAY"
    if d.outcome_domain == "condition":
        cte = f"""first_outcome AS (SELECT person_id, min(condition_start_date) AS onset
                  FROM scoped_condition_occurrence
                  WHERE condition_source_value IN ({_codes(d.outcome_codes)})
                  GROUP BY person_id)"""
        label = f"CASE WHEN f.onset {window} THEN 1 ELSE 0 END"
        keep = f"(f.onset IS NULL OR f.onset > l.landmark) AND (f.onset {window} OR {followed})"
        return cte, label, keep
    cte = f"""first_outcome AS (SELECT l.person_id, l.landmark, min(v.visit_start_date) AS onset
              FROM landmarks l JOIN scoped_visit_occurrence v USING (person_id)
              WHERE v.visit_concept_id = {INPATIENT} AND v.visit_start_date {window}
              GROUP BY ALL)"""
    return (
        cte,
        "CASE WHEN f.onset IS NOT NULL THEN 1 ELSE 0 END",
        f"(f.onset IS NOT NULL OR {followed})",
    )


def training_sql(d: ModelDefinition) -> str:
    """The one SELECT over the grant's views that builds the definition's rows."""
    measures = "".join(
        f""",
        (SELECT m.value_as_number FROM scoped_measurement m
          WHERE m.person_id = l.person_id AND m.measurement_source_value = '{code}'
            AND m.measurement_date < l.landmark
            AND m.measurement_date >= l.landmark - INTERVAL {d.lookback_days} DAY
          ORDER BY m.measurement_date DESC LIMIT 1) AS {name}"""
        for name, code in d.features
    )
    cte, label, keep = _label_sql(d)
    join = "USING (person_id)" if d.outcome_domain == "condition" else "USING (person_id, landmark)"
    return f"""
        WITH landmarks AS ({_index_sql(d)}), {cte}
        SELECT l.person_id, year(l.landmark) AS index_year, l.age, l.male{measures},
               {label} AS label
        FROM landmarks l LEFT JOIN first_outcome f {join}
        WHERE {keep}
        ORDER BY l.person_id, l.landmark
        """


def build_training_set(ws: ScopedReader, d: ModelDefinition | None = None) -> TrainingSet:
    d = d or _DEFAULT
    for table, columns in needs(d).items():
        ws.require(table, columns)
    table = ws.query(training_sql(d))
    names = d.feature_names
    X = np.column_stack([np.asarray(table.column(f).to_pylist(), dtype=float) for f in names])
    y = np.asarray(table.column("label").to_pylist(), dtype=int)
    groups = np.asarray(table.column("person_id").to_pylist(), dtype=np.int64)
    years = np.asarray(table.column("index_year").to_pylist(), dtype=int)
    return TrainingSet(X, y, groups, len(set(groups.tolist())), years, names)
