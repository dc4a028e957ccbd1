"""Tables computed from the events after every load: visits, periods, eras, causes of death.

``condition_era`` and ``drug_era`` follow the OHDSI definitions: events of one
person and concept (for drugs, the ingredient reached through
``concept_ancestor``) whose gaps are at most 30 days (the persistence window)
form one era. ``observation_period`` spans every event's start and end.
"""

from __future__ import annotations

from datetime import date

import duckdb

from socle.warehouse.schema import EVENT_DATE, EVENT_END
from socle.warehouse.visits import derive_visits

PERSISTENCE_DAYS = 30
CAUSE_OF_DEATH = "LOINC|69453-9"  # Cause of death [US Standard Certificate of Death]


def derive_all(con: duckdb.DuckDBPyConnection, *, source_name: str = "Socle warehouse") -> None:
    derive_visits(con)
    payer_periods(con)
    observation_periods(con)
    causes_of_death(con)
    condition_eras(con)
    drug_eras(con)
    cdm_source(con, source_name)


def observation_periods(con: duckdb.DuckDBPyConnection) -> None:
    """One observation period per person: first to last date of any event (start or end)."""
    dates = [f"SELECT person_id, {col} AS d FROM main.{t}" for t, col in EVENT_DATE.items()]
    dates += [f"SELECT person_id, {col} FROM main.{t}" for t, col in EVENT_END.items()]
    dates.append("SELECT person_id, death_date FROM main.death")
    con.execute("DELETE FROM main.observation_period")
    con.execute(
        f"""
        INSERT INTO main.observation_period
        SELECT person_id, person_id, min(d), max(d), 32817
        FROM ({" UNION ALL ".join(dates)})
        WHERE d IS NOT NULL AND person_id IN (SELECT person_id FROM main.person)
        GROUP BY person_id
        """
    )


def payer_periods(con: duckdb.DuckDBPyConnection) -> None:
    """Each payer plan period spans the visits whose costs name it."""
    con.execute(
        """
        UPDATE main.payer_plan_period SET payer_plan_period_start_date = s.first,
               payer_plan_period_end_date = s.last
        FROM (
            SELECT c.payer_plan_period_id AS id, min(v.visit_start_date) AS first,
                   max(v.visit_end_date) AS last
            FROM main.cost c JOIN main.visit_occurrence v ON v.visit_occurrence_id = c.cost_event_id
            WHERE c.cost_domain_id = 'Visit' GROUP BY ALL
        ) s
        WHERE payer_plan_period.payer_plan_period_id = s.id
        """
    )


def causes_of_death(con: duckdb.DuckDBPyConnection) -> None:
    """The coded answer of the death certificate's cause-of-death observation, as the cause."""
    con.execute(
        f"""
        UPDATE main.death SET cause_source_value = c.value_source_value
        FROM (
            SELECT person_id, arg_max(value_source_value, observation_date) AS value_source_value
            FROM main.observation
            WHERE observation_source_value = '{CAUSE_OF_DEATH}' AND value_source_value IS NOT NULL
            GROUP BY person_id
        ) c
        WHERE death.person_id = c.person_id AND death.cause_source_value IS NULL
        """
    )


def _eras(source: str, gap: int) -> str:
    """Gaps-and-islands over (person_id, concept_id, start, end) rows of ``source``."""
    return f"""
        WITH e AS (SELECT * FROM ({source}) WHERE concept_id <> 0),
        ordered AS (
            SELECT *, max(end_date) OVER (
                PARTITION BY person_id, concept_id ORDER BY start_date, end_date
                ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS previous_end
            FROM e
        ),
        numbered AS (
            SELECT *, sum(CASE WHEN previous_end IS NULL
                                 OR start_date > previous_end + INTERVAL {gap} DAY
                               THEN 1 ELSE 0 END)
                OVER (PARTITION BY person_id, concept_id ORDER BY start_date, end_date
                      ROWS UNBOUNDED PRECEDING) AS era
            FROM ordered
        )
        SELECT person_id, concept_id, min(start_date) AS start_date,
               max(end_date) AS end_date, count(*) AS n,
               sum(datediff('day', start_date, end_date)) AS exposed_days
        FROM numbered GROUP BY person_id, concept_id, era
    """


def condition_eras(con: duckdb.DuckDBPyConnection) -> None:
    source = (
        "SELECT person_id, condition_concept_id AS concept_id, condition_start_date AS start_date,"
        " coalesce(condition_end_date, condition_start_date) AS end_date"
        " FROM main.condition_occurrence"
    )
    con.execute("DELETE FROM main.condition_era")
    con.execute(
        f"""
        INSERT INTO main.condition_era
        SELECT row_number() OVER (ORDER BY person_id, concept_id, start_date), person_id,
               concept_id, start_date, end_date, n
        FROM ({_eras(source, PERSISTENCE_DAYS)})
        """
    )


def drug_eras(con: duckdb.DuckDBPyConnection) -> None:
    """Eras of each ingredient (``concept_ancestor``) of the exposures' standard drugs."""
    source = """
        SELECT d.person_id, a.ancestor_concept_id AS concept_id,
               d.drug_exposure_start_date AS start_date,
               greatest(d.drug_exposure_start_date,
                        coalesce(d.drug_exposure_end_date, d.drug_exposure_start_date)) AS end_date
        FROM main.drug_exposure d
        JOIN main.concept_ancestor a ON a.descendant_concept_id = d.drug_concept_id
        JOIN main.concept c ON c.concept_id = a.ancestor_concept_id
        WHERE c.concept_class_id = 'Ingredient' AND c.vocabulary_id IN ('RxNorm', 'RxNorm Extension')
    """
    con.execute("DELETE FROM main.drug_era")
    con.execute(
        f"""
        INSERT INTO main.drug_era
        SELECT row_number() OVER (ORDER BY person_id, concept_id, start_date), person_id,
               concept_id, start_date, end_date, n,
               greatest(datediff('day', start_date, end_date) - exposed_days, 0)
        FROM ({_eras(source, PERSISTENCE_DAYS)})
        """
    )


def cdm_source(con: duckdb.DuckDBPyConnection, name: str) -> None:
    row = con.execute(
        "SELECT vocabulary_version FROM main.vocabulary WHERE vocabulary_id = 'None'"
    ).fetchone()
    today = date.today()
    con.execute("DELETE FROM main.cdm_source")
    con.execute(
        "INSERT INTO main.cdm_source VALUES (?, 'SOCLE', ?, ?, ?, ?, ?, ?, 'v5.4', 756265, ?)",
        [
            name,
            "Socle node",
            "FHIR R4 / Synthea CSV mapped to OMOP CDM v5.4 by Socle (pseudonymised)",
            "docs/mapping.md",
            "https://github.com/socle (docs/mapping.md)",
            today,
            today,
            row[0] if row else "none loaded",
        ],
    )
