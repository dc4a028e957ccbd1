"""The training set of the demo model, built inside the workspace checkpoint.

Design (a landmark cohort): every 1 January from 2008 to 2020 on which an
adult is under observation and has no prior record of the target condition
is one landmark. Features are age, sex and the latest BMI, systolic blood
pressure and glucose in the three years before it; the label is a first
record of the target condition in the five years after it. Landmarks
without five years of follow-up and no event are dropped (censored).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from socle.warehouse import ScopedReader, sex_label

FEATURES = ("age", "male", "bmi", "systolic_bp", "glucose")
MEASURES = {"bmi": "LOINC|39156-5", "systolic_bp": "LOINC|8480-6", "glucose": "LOINC|2339-0"}
TARGET = ("SNOMED|59621000",)  # essential hypertension
TARGET_LABEL = "first record of essential hypertension within 5 years"
NEEDS = {
    "person": ["year_of_birth", "gender_concept_id"],
    "measurement": ["measurement_source_value", "value_as_number", "measurement_date"],
    "condition_occurrence": ["condition_source_value", "condition_start_date"],
    "observation_period": ["observation_period_start_date", "observation_period_end_date"],
}


@dataclass(frozen=True)
class TrainingSet:
    X: np.ndarray
    y: np.ndarray
    groups: np.ndarray  # person ids, for a person-level split; never released
    persons: int


def build_training_set(ws: ScopedReader) -> TrainingSet:
    for table, columns in NEEDS.items():
        ws.require(table, columns)
    measures = ",\n".join(
        f"""(SELECT m.value_as_number FROM scoped_measurement m
             WHERE m.person_id = l.person_id AND m.measurement_source_value = '{code}'
               AND m.measurement_date < l.landmark
               AND m.measurement_date >= l.landmark - INTERVAL 3 YEAR
             ORDER BY m.measurement_date DESC LIMIT 1) AS {name}"""
        for name, code in MEASURES.items()
    )
    targets = ", ".join(f"'{t}'" for t in TARGET)
    table = ws.query(
        f"""
        WITH landmarks AS (
            SELECT p.person_id, make_date(y, 1, 1) AS landmark,
                   y - p.year_of_birth AS age,
                   CAST({sex_label("p.gender_concept_id")} = 'M' AS INTEGER) AS male,
                   o.observation_period_end_date AS obs_end
            FROM scoped_person p
            JOIN scoped_observation_period o USING (person_id)
            CROSS JOIN range(2008, 2021) t(y)
            WHERE make_date(y, 1, 1) BETWEEN o.observation_period_start_date
                                          AND o.observation_period_end_date
              AND y - p.year_of_birth >= 18
        ), first_target AS (
            SELECT person_id, min(condition_start_date) AS onset
            FROM scoped_condition_occurrence WHERE condition_source_value IN ({targets})
            GROUP BY person_id
        )
        SELECT l.person_id, l.age, l.male, {measures},
               CASE WHEN f.onset <= l.landmark + INTERVAL 5 YEAR THEN 1 ELSE 0 END AS label
        FROM landmarks l LEFT JOIN first_target f USING (person_id)
        WHERE (f.onset IS NULL OR f.onset > l.landmark)
          AND (f.onset <= l.landmark + INTERVAL 5 YEAR OR l.obs_end >= l.landmark + INTERVAL 5 YEAR)
        ORDER BY l.person_id, l.landmark
        """
    )
    X = np.column_stack([np.asarray(table.column(f).to_pylist(), dtype=float) for f in FEATURES])
    y = np.asarray(table.column("label").to_pylist(), dtype=int)
    groups = np.asarray(table.column("person_id").to_pylist(), dtype=np.int64)
    return TrainingSet(X, y, groups, len(set(groups.tolist())))
