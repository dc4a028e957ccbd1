"""Aggregate profiles of the warehouse for stewards: counts and distributions, never rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from socle.warehouse.schema import CDM, EVENT_DATE
from socle.warehouse.scope import sex_label
from socle.warehouse.warehouse import Warehouse


@dataclass(frozen=True)
class ColumnProfile:
    table: str
    column: str
    type: str
    rows: int
    non_null: int
    distinct: int

    @property
    def completeness(self) -> float:
        return self.non_null / self.rows if self.rows else 0.0


# A visit detail repeats its visit's dates: counting it would count one record twice.
REPEATED_EVENTS = frozenset({"visit_detail"})


def column_profiles(wh: Warehouse) -> list[ColumnProfile]:
    """Completeness and distinct count of every CDM column."""
    out = []
    for table, cols in CDM.items():
        exprs = ", ".join(f'count("{c}"), approx_count_distinct("{c}")' for c in cols)
        row = wh.aggregate(f"SELECT count(*), {exprs} FROM {table}")[0]
        rows = int(row[0])
        for i, (col, typ) in enumerate(cols.items()):
            out.append(
                ColumnProfile(table, col, str(typ), rows, int(row[1 + 2 * i]), int(row[2 + 2 * i]))
            )
    return out


def temporal_coverage(wh: Warehouse) -> tuple[date | None, date | None]:
    """Earliest and latest event date across the clinical tables."""
    union = " UNION ALL ".join(f"SELECT {c} AS d FROM {t}" for t, c in EVENT_DATE.items())
    first, last = wh.aggregate(f"SELECT min(d), max(d) FROM ({union})")[0]
    return first, last


def age_sex_pyramid(wh: Warehouse, as_of: date) -> list[tuple[str, str, int]]:
    """Persons alive at ``as_of`` by ten-year age band and sex."""
    return [
        (str(band), str(sex), int(n))
        for band, sex, n in wh.aggregate(
            f"""
            SELECT lpad(CAST(least(floor(age / 10) * 10, 90) AS VARCHAR), 2, '0') || '-' ||
                   CASE WHEN age >= 90 THEN '+' ELSE CAST(least(floor(age / 10) * 10, 90) + 9 AS VARCHAR) END AS band,
                   sex, count(*)
            FROM (
                SELECT p.person_id,
                       {sex_label("p.gender_concept_id")} AS sex,
                       ? - p.year_of_birth AS age
                FROM person p LEFT JOIN death d USING (person_id)
                WHERE d.person_id IS NULL AND p.year_of_birth IS NOT NULL
            ) GROUP BY band, sex ORDER BY band, sex
            """,
            [as_of.year],
        )
    ]


def implausible_counts(wh: Warehouse, as_of: date) -> dict[str, int]:
    """Kahn plausibility checks: each entry is the number of offending records."""
    events = {t: c for t, c in EVENT_DATE.items() if t not in REPEATED_EVENTS}
    checks = {
        "birth_after_death": "SELECT count(*) FROM person p JOIN death d USING (person_id) "
        "WHERE make_date(p.year_of_birth, coalesce(p.month_of_birth, 1), 1) > d.death_date",
        "negative_or_over_120_age": "SELECT count(*) FROM person WHERE year_of_birth > ? "
        "OR ? - year_of_birth > 120",
        "event_before_birth": " + ".join(
            f"(SELECT count(*) FROM {t} e JOIN person p USING (person_id) "
            f"WHERE year(e.{c}) < p.year_of_birth)"
            for t, c in events.items()
        ),
        "event_after_death": " + ".join(
            f"(SELECT count(*) FROM {t} e JOIN death d USING (person_id) "
            f"WHERE e.{c} > d.death_date + INTERVAL 30 DAY)"
            for t, c in events.items()
        ),
        "event_in_future": " + ".join(
            f"(SELECT count(*) FROM {t} WHERE {c} > ?)" for t, c in events.items()
        ),
        "visit_ends_before_start": "SELECT count(*) FROM visit_occurrence "
        "WHERE visit_end_date < visit_start_date",
        "negative_measurement_value": "SELECT count(*) FROM measurement WHERE value_as_number < 0",
    }
    params: dict[str, list[object]] = {
        "negative_or_over_120_age": [as_of.year, as_of.year],
        "event_in_future": [as_of] * len(events),
    }
    out = {}
    for name, sql in checks.items():
        sql = sql if sql.startswith("SELECT") else f"SELECT {sql}"
        out[name] = int(wh.aggregate(sql, params.get(name, []))[0][0])
    return out
