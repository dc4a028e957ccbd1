"""Visits from encounters, as ETL-Synthea builds them: merged inpatient stays, visit details.

Each mapped encounter is one ``visit_detail`` (its id is the encounter's
pseudonym) and, when loaded, one ``visit_occurrence`` of the same id. After
every load the visits are re-derived from the details, following ETL-Synthea
(``AllVisitTable.sql``, ``AAVITable.sql``, ``final_visit_ids.sql``):

- inpatient encounters of a person less than a day apart (the next starts at
  most one day after the previous ends) are one stay;
- an outpatient encounter that starts during a stay, or an emergency one that
  starts after the stay began, belongs to that stay;
- other encounters of one person, class and start are one visit.

The visit keeps the id, provider, care site and source value of its first
encounter and spans them all; merged-away visits are deleted and every event,
detail and visit cost points at the stay. Details of an attached CDM (source
values other than Socle's ``ActCode|``) are left as they are.
"""

from __future__ import annotations

import duckdb

from socle.warehouse.mapping import EVENT_TABLES

INPATIENT, EMERGENCY = 9201, 9203
OWN_DETAILS = "visit_detail_source_value LIKE 'ActCode|%'"

# detail id → the visit it belongs to (the first encounter of its stay or group).
_VISIT_OF = f"""
CREATE OR REPLACE TEMP TABLE _visit_of AS
WITH d AS (
    SELECT visit_detail_id AS id, person_id, visit_detail_concept_id AS concept,
           visit_detail_start_datetime AS s, visit_detail_end_datetime AS e,
           visit_detail_start_date AS sd, visit_detail_end_date AS ed,
           -- a stay keeps the visit row it already has: ids change order when the key rotates
           visit_detail_id IN (SELECT visit_occurrence_id FROM main.visit_occurrence) AS kept
    FROM main.visit_detail WHERE {OWN_DETAILS}
),
ip AS (
    SELECT *, max(ed) OVER (
        PARTITION BY person_id ORDER BY s, id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
    ) AS previous_end
    FROM d WHERE concept = {INPATIENT}
),
islands AS (
    SELECT *, sum(CASE WHEN previous_end IS NULL OR sd > previous_end + 1 THEN 1 ELSE 0 END)
        OVER (PARTITION BY person_id ORDER BY s, id ROWS UNBOUNDED PRECEDING) AS island
    FROM ip
),
stay_of AS (
    SELECT id, person_id, first_value(id) OVER w AS visit_id,
           min(s) OVER w AS stay_start, max(e) OVER w AS stay_end
    FROM islands
    WINDOW w AS (PARTITION BY person_id, island ORDER BY kept DESC, s, id
                 ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
),
stays AS (SELECT DISTINCT person_id, visit_id, stay_start, stay_end FROM stay_of),
others AS (SELECT * FROM d WHERE concept <> {INPATIENT}),
in_stay AS (
    SELECT o.id, arg_min(st.visit_id, st.stay_start) AS visit_id
    FROM others o JOIN stays st ON st.person_id = o.person_id
     AND o.s <= st.stay_end
     AND (o.s > st.stay_start OR (o.concept <> {EMERGENCY} AND o.s = st.stay_start))
    GROUP BY o.id
),
grouped AS (
    SELECT id, first_value(id) OVER (
        PARTITION BY person_id, concept, s ORDER BY kept DESC, id
        ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
    ) AS visit_id
    FROM others WHERE id NOT IN (SELECT id FROM in_stay)
)
SELECT id, visit_id FROM stay_of
UNION ALL SELECT id, visit_id FROM in_stay
UNION ALL SELECT id, visit_id FROM grouped
"""

_STAY_SPANS = """
UPDATE main.visit_occurrence v SET
    visit_concept_id = s.concept, visit_start_date = s.sd, visit_start_datetime = s.s,
    visit_end_date = s.ed, visit_end_datetime = s.e
FROM (
    SELECT m.visit_id, min(d.visit_detail_start_date) AS sd,
           min(d.visit_detail_start_datetime) AS s, max(d.visit_detail_end_date) AS ed,
           max(d.visit_detail_end_datetime) AS e,
           -- a visit holding an inpatient encounter is an inpatient stay
           CASE WHEN bool_or(d.visit_detail_concept_id = 9201) THEN 9201
                ELSE arg_min(d.visit_detail_concept_id, d.visit_detail_start_datetime) END
               AS concept
    FROM _visit_of m JOIN main.visit_detail d ON d.visit_detail_id = m.id
    GROUP BY m.visit_id
) s
WHERE v.visit_occurrence_id = s.visit_id
  AND (v.visit_start_datetime IS DISTINCT FROM s.s OR v.visit_end_datetime IS DISTINCT FROM s.e
       OR v.visit_concept_id IS DISTINCT FROM s.concept
       OR v.visit_end_date IS DISTINCT FROM s.ed OR v.visit_start_date IS DISTINCT FROM s.sd)
"""


def derive_visits(con: duckdb.DuckDBPyConnection) -> None:
    """Merge stays, then link events, details and visits to the visit they belong to."""
    _events_to_details(con)
    con.execute(_VISIT_OF)
    try:
        _merge_stays(con)
    finally:
        con.execute("DROP TABLE IF EXISTS _visit_of")
    _preceding(con)


def _events_to_details(con: duckdb.DuckDBPyConnection) -> None:
    """An event recorded during an encounter points at that encounter's detail."""
    for table in EVENT_TABLES:
        con.execute(
            f"UPDATE main.{table} SET visit_detail_id = visit_occurrence_id "
            "WHERE visit_detail_id IS NULL AND visit_occurrence_id IN "
            "(SELECT visit_detail_id FROM main.visit_detail)"
        )


def _merge_stays(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        "UPDATE main.visit_detail d SET visit_occurrence_id = m.visit_id FROM _visit_of m "
        "WHERE d.visit_detail_id = m.id AND d.visit_occurrence_id IS DISTINCT FROM m.visit_id"
    )
    con.execute(_STAY_SPANS)
    con.execute(
        "DELETE FROM main.visit_occurrence WHERE visit_occurrence_id IN "
        "(SELECT id FROM _visit_of WHERE id <> visit_id)"
    )
    for table in EVENT_TABLES:
        con.execute(
            f"UPDATE main.{table} t SET visit_occurrence_id = m.visit_id FROM _visit_of m "
            "WHERE t.visit_detail_id = m.id AND t.visit_occurrence_id IS DISTINCT FROM m.visit_id"
        )
    con.execute(
        "UPDATE main.cost c SET cost_event_id = m.visit_id FROM _visit_of m "
        "WHERE c.cost_domain_id = 'Visit' AND c.cost_event_id = m.id AND m.id <> m.visit_id"
    )


def _preceding(con: duckdb.DuckDBPyConnection) -> None:
    """Each visit's (and each detail's) preceding one of the same person."""
    for table, start in (
        ("visit_occurrence", "visit_start_datetime"),
        ("visit_detail", "visit_detail_start_datetime"),
    ):
        key = table
        con.execute(
            f"""
            UPDATE main.{table} SET preceding_{key}_id = p.previous
            FROM (
                SELECT {key}_id AS id, lag({key}_id) OVER (
                    PARTITION BY person_id ORDER BY {start}, {key}_id
                ) AS previous
                FROM main.{table}
            ) p
            WHERE {table}.{key}_id = p.id AND preceding_{key}_id IS DISTINCT FROM p.previous
            """
        )
