"""The outcome of a definition for predictions made in care, computed inside the warehouse.

A prediction made at an index date asks what the definition's label asks of a
training row: did the outcome occur within the time at risk? Once later loads
bring the follow-up, :func:`outcome_sql` answers it per prediction with the
same rules as :func:`~socle.ai.dataset.training_sql`: the first outcome record
in the window is an event; without it, a person followed to the end of the time
at risk had none; otherwise the answer waits. For a condition outcome, a person
who already had it at the index is outside the target population (``prior``).

The query reads the grant-like scope :data:`OUTCOME_COLUMNS` through the
checkpoint; it takes the predictions as three parameter lists (ids, pseudonym
tokens, index dates in the warehouse's shifted calendar) and returns only the
prediction id, the status and the days from the index to the answer: no person
id or token leaves it.
"""

from __future__ import annotations

from socle.ai.dataset import INPATIENT, _codes
from socle.ai.definitions import ModelDefinition

OUTCOME_COLUMNS: dict[str, tuple[str, ...]] = {
    "person": ("person_source_value",),
    "condition_occurrence": ("condition_source_value", "condition_start_date"),
    "visit_occurrence": ("visit_concept_id", "visit_start_date"),
    "observation_period": ("observation_period_end_date",),
}
"""What the outcome of any shipped definition reads (the token joins a prediction to its person)."""

STATUSES = ("occurred", "not_occurred", "awaiting", "prior")


def outcome_sql(d: ModelDefinition) -> str:
    """One SELECT over the scoped views: ``prediction_id, status, days`` per matched prediction.

    Parameters, in order: prediction ids, pseudonym tokens, index dates (``DATE``).
    ``days`` counts from the index to the outcome (``occurred``) or to the end of the
    time at risk (``not_occurred``); it is NULL otherwise.
    """
    start, end = d.time_at_risk_days
    window_start = f"m.idx + INTERVAL {start} DAY"
    window_end = f"m.idx + INTERVAL {end} DAY"
    if d.outcome_domain == "condition":
        onset = f"""onset AS (
            SELECT m.prediction_id, min(c.condition_start_date) AS first_record
            FROM matched m JOIN scoped_condition_occurrence c USING (person_id)
            WHERE c.condition_source_value IN ({_codes(d.outcome_codes)})
            GROUP BY ALL)"""
        prior = "f.first_record <= m.idx"
        occurred = f"f.first_record BETWEEN {window_start} AND {window_end}"
    else:
        onset = f"""onset AS (
            SELECT m.prediction_id, min(v.visit_start_date) AS first_record
            FROM matched m JOIN scoped_visit_occurrence v USING (person_id)
            WHERE v.visit_concept_id = {INPATIENT}
              AND v.visit_start_date BETWEEN {window_start} AND {window_end}
            GROUP BY ALL)"""
        prior = "FALSE"
        occurred = "f.first_record IS NOT NULL"
    return f"""
        WITH asked AS (
            SELECT unnest(?::VARCHAR[]) AS prediction_id, unnest(?::VARCHAR[]) AS token,
                   unnest(?::DATE[]) AS idx),
        matched AS (
            SELECT a.prediction_id, a.idx, p.person_id, o.obs_end
            FROM asked a JOIN scoped_person p ON p.person_source_value = a.token
            LEFT JOIN (SELECT person_id, max(observation_period_end_date) AS obs_end
                       FROM scoped_observation_period GROUP BY person_id) o USING (person_id)),
        {onset}
        SELECT m.prediction_id,
               CASE WHEN {prior} THEN 'prior'
                    WHEN {occurred} THEN 'occurred'
                    WHEN m.obs_end >= {window_end} THEN 'not_occurred'
                    ELSE 'awaiting' END AS status,
               CASE WHEN {prior} THEN NULL
                    WHEN {occurred} THEN date_diff('day', m.idx, f.first_record)
                    WHEN m.obs_end >= {window_end} THEN {end}
                    ELSE NULL END AS days
        FROM matched m LEFT JOIN onset f USING (prediction_id)
        ORDER BY m.prediction_id
        """
