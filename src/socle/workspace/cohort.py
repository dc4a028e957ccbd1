"""Cohort definitions on standard concepts, compiled to one SELECT on a grant's scoped views.

For people who do not write SQL: a concept set (with descendants through the
vocabulary's ``concept_ancestor``), the event domain, an age range at the
index date, a sex, a time window and the index event (first or every one).
The compiled SQL goes through the same checkpoint as any workspace query.
OHDSI Circe JSON (an ATLAS cohort definition) is imported where its
features map onto this model; anything else is refused by name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal

from socle.workspace.errors import CohortError

Domain = Literal["condition", "drug", "procedure", "measurement", "observation"]

# domain -> (scoped table, standard concept column, source value column, event date column)
DOMAINS: dict[str, tuple[str, str, str, str]] = {
    "condition": ("condition_occurrence", "condition_concept_id", "condition_source_value",
                  "condition_start_date"),
    "drug": ("drug_exposure", "drug_concept_id", "drug_source_value", "drug_exposure_start_date"),
    "procedure": ("procedure_occurrence", "procedure_concept_id", "procedure_source_value",
                  "procedure_date"),
    "measurement": ("measurement", "measurement_concept_id", "measurement_source_value",
                    "measurement_date"),
    "observation": ("observation", "observation_concept_id", "observation_source_value",
                    "observation_date"),
}  # fmt: skip
SEX_CONCEPT = {"M": 8507, "F": 8532}
_SOURCE_CODE = re.compile(r"[A-Za-z0-9-]{1,40}\|[A-Za-z0-9.\-_]{1,60}")


@dataclass(frozen=True)
class ConceptSet:
    """Standard concepts to include (some with all their descendants), minus exclusions."""

    concepts: tuple[int, ...] = ()
    with_descendants: tuple[int, ...] = ()
    excluded: tuple[int, ...] = ()

    def is_empty(self) -> bool:
        return not self.concepts and not self.with_descendants


@dataclass(frozen=True)
class CohortDefinition:
    """Who enters the cohort and on which index date.

    ``source_codes`` (``VOCAB|code``) also select events, for warehouses whose
    rows are not mapped to standard concepts yet. ``notes`` lists parts of an
    imported definition that were read but have no effect here.
    """

    name: str
    domain: Domain
    concept_set: ConceptSet = ConceptSet()
    source_codes: tuple[str, ...] = ()
    min_age: int | None = None
    max_age: int | None = None
    sex: Literal["M", "F"] | None = None
    window_start: date | None = None
    window_end: date | None = None
    index: Literal["first", "all"] = "first"
    prior_observation_days: int = 0
    notes: tuple[str, ...] = field(default=())

    def problems(self) -> list[str]:
        found = []
        if self.domain not in DOMAINS:
            found.append(f"domain '{self.domain}' is not one of {', '.join(DOMAINS)}")
        if self.concept_set.is_empty() and not self.source_codes:
            found.append("the cohort needs at least one concept or source code")
        bad = [c for c in self.source_codes if not _SOURCE_CODE.fullmatch(c)]
        if bad:
            found.append(f"{len(bad)} source code(s) are not of the form VOCABULARY|code")
        for label, value in (("min_age", self.min_age), ("max_age", self.max_age)):
            if value is not None and not 0 <= value <= 130:
                found.append(f"{label} {value} is outside 0-130")
        if self.sex not in (None, *SEX_CONCEPT):
            found.append(f"sex '{self.sex}' is not M or F")
        if self.index not in ("first", "all"):
            found.append(f"index '{self.index}' is not 'first' or 'all'")
        if self.prior_observation_days < 0:
            found.append("prior_observation_days cannot be negative")
        return found

    def tables(self) -> dict[str, list[str]]:
        """Scoped tables and columns the compiled query reads (checked against the grant)."""
        table, concept_col, source_col, date_col = DOMAINS[self.domain]
        columns = [date_col]
        if not self.concept_set.is_empty():
            columns.append(concept_col)
        if self.source_codes:
            columns.append(source_col)
        needed = {table: columns, "person": ["year_of_birth", "gender_concept_id"]}
        if self.prior_observation_days:
            needed["observation_period"] = ["observation_period_start_date"]
        return needed


def compile_cohort(cohort: CohortDefinition) -> str:
    """One SELECT over scoped views: ``person_id, index_date, age_at_index, gender_concept_id``."""
    problems = cohort.problems()
    if problems:
        raise CohortError(f"cohort '{cohort.name}' is invalid: {'; '.join(problems)}")
    table, concept_col, source_col, date_col = DOMAINS[cohort.domain]
    cs = cohort.concept_set
    match = []
    if not cs.is_empty():
        match.append(f"e.{concept_col} IN (SELECT concept_id FROM codes)")
    if cohort.source_codes:
        quoted = ", ".join(f"'{c}'" for c in cohort.source_codes)  # pattern-checked above
        match.append(f"e.{source_col} IN ({quoted})")
    where = [f"({' OR '.join(match)})"]
    if cohort.window_start:
        where.append(f"e.{date_col} >= DATE '{cohort.window_start.isoformat()}'")
    if cohort.window_end:
        where.append(f"e.{date_col} <= DATE '{cohort.window_end.isoformat()}'")
    pick = (
        "SELECT person_id, min(event_date) AS index_date FROM events GROUP BY person_id"
        if cohort.index == "first"
        else "SELECT DISTINCT person_id, event_date AS index_date FROM events"
    )
    person_where = ["TRUE"]
    age = "year(i.index_date) - p.year_of_birth"
    if cohort.min_age is not None:
        person_where.append(f"{age} >= {int(cohort.min_age)}")
    if cohort.max_age is not None:
        person_where.append(f"{age} <= {int(cohort.max_age)}")
    if cohort.sex:
        person_where.append(f"p.gender_concept_id = {SEX_CONCEPT[cohort.sex]}")
    if cohort.prior_observation_days:
        person_where.append(
            "EXISTS (SELECT 1 FROM scoped_observation_period o WHERE o.person_id = i.person_id "
            f"AND o.observation_period_start_date <= i.index_date - "
            f"INTERVAL {int(cohort.prior_observation_days)} DAY)"
        )
    return (
        f"WITH codes AS ({_codes_sql(cs)}),\n"
        f"events AS (SELECT e.person_id, e.{date_col} AS event_date FROM scoped_{table} e "
        f"WHERE {' AND '.join(where)}),\n"
        f"index_events AS ({pick})\n"
        f"SELECT i.person_id, i.index_date, {age} AS age_at_index, p.gender_concept_id\n"
        f"FROM index_events i JOIN scoped_person p USING (person_id)\n"
        f"WHERE {' AND '.join(person_where)}\nORDER BY i.person_id, i.index_date"
    )


def _ints(values: tuple[int, ...]) -> str:
    return ", ".join(str(int(v)) for v in values)


def _codes_sql(cs: ConceptSet) -> str:
    parts = ["SELECT CAST(NULL AS INTEGER) AS concept_id WHERE FALSE"]
    direct = cs.concepts + cs.with_descendants
    if direct:
        parts.append(f"SELECT unnest([{_ints(direct)}]) AS concept_id")
    if cs.with_descendants:
        parts.append(
            "SELECT descendant_concept_id FROM vocab_concept_ancestor "
            f"WHERE ancestor_concept_id IN ({_ints(cs.with_descendants)})"
        )
    sql = " UNION ".join(parts)
    if cs.excluded:
        sql = f"({sql}) EXCEPT SELECT unnest([{_ints(cs.excluded)}])"
    return sql


def from_json(data: dict[str, Any], name: str) -> CohortDefinition:
    """A cohort from JSON: OHDSI Circe (it has ``PrimaryCriteria``) or Socle's own fields."""
    if "PrimaryCriteria" in data:
        return from_circe(data, name)
    known = set(CohortDefinition.__dataclass_fields__) - {"name", "notes"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise CohortError(
            f"cohort '{name}': unknown field(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
        )
    try:
        cs = data.get("concept_set") or {}
        concept_set = ConceptSet(
            tuple(int(c) for c in cs.get("concepts", ())),
            tuple(int(c) for c in cs.get("with_descendants", ())),
            tuple(int(c) for c in cs.get("excluded", ())),
        )
        return CohortDefinition(
            name=name, domain=data["domain"], concept_set=concept_set,
            source_codes=tuple(str(c) for c in data.get("source_codes", ())),
            min_age=_opt_int(data.get("min_age")), max_age=_opt_int(data.get("max_age")),
            sex=data.get("sex"), window_start=_opt_date(data.get("window_start")),
            window_end=_opt_date(data.get("window_end")), index=data.get("index", "first"),
            prior_observation_days=int(data.get("prior_observation_days", 0)),
        )  # fmt: skip
    except (KeyError, TypeError, ValueError) as exc:
        raise CohortError(f"cohort '{name}': {type(exc).__name__} in field {exc}") from exc


def _opt_int(value: Any) -> int | None:
    return None if value is None else int(value)


def _opt_date(value: Any) -> date | None:
    return None if value is None else date.fromisoformat(str(value))


# -- OHDSI Circe JSON ------------------------------------------------------------------------------

_CIRCE_DOMAINS = {
    "ConditionOccurrence": "condition", "DrugExposure": "drug",
    "ProcedureOccurrence": "procedure", "Measurement": "measurement",
    "Observation": "observation",
}  # fmt: skip
_IGNORED = ("EndStrategy", "CollapseSettings", "CensorWindow", "cdmVersionRange")


def from_circe(expression: dict[str, Any], name: str) -> CohortDefinition:
    """Read an ATLAS/Circe cohort expression; refuse, by name, what this model cannot express."""
    unsupported = [
        key for key in ("InclusionRules", "CensoringCriteria", "AdditionalCriteria")
        if expression.get(key)
    ]  # fmt: skip
    primary = expression.get("PrimaryCriteria") or {}
    criteria = primary.get("CriteriaList") or []
    if len(criteria) != 1 or len(criteria[0]) != 1:
        unsupported.append("PrimaryCriteria.CriteriaList (exactly one criterion is supported)")
    if unsupported:
        raise CohortError(
            f"Circe cohort '{name}' uses {', '.join(unsupported)}, which Socle cannot compile "
            "yet; simplify it in ATLAS or write the cohort as SQL on the scoped views"
        )
    [(kind, criterion)] = criteria[0].items()
    if kind not in _CIRCE_DOMAINS:
        raise CohortError(
            f"Circe cohort '{name}': {kind} criteria are not supported "
            f"(supported: {', '.join(_CIRCE_DOMAINS)})"
        )
    extra = sorted(
        set(criterion)
        - {"CodesetId", "First", "Age", "Gender", "OccurrenceStartDate", "CorrelatedCriteria"}
    )
    if extra or criterion.get("CorrelatedCriteria"):
        raise CohortError(
            f"Circe cohort '{name}': criterion attributes {', '.join(extra or ['CorrelatedCriteria'])} "
            "are not supported"
        )
    window = primary.get("ObservationWindow") or {}
    if int(window.get("PostDays", 0) or 0):
        raise CohortError(f"Circe cohort '{name}': ObservationWindow.PostDays is not supported")
    min_age, max_age = _circe_range(criterion.get("Age"), name, "Age")
    start, end = _circe_dates(criterion.get("OccurrenceStartDate"), name)
    genders = {int(g["CONCEPT_ID"]) for g in criterion.get("Gender") or []}
    sexes = [s for s, c in SEX_CONCEPT.items() if c in genders]
    first = bool(criterion.get("First")) or (
        (primary.get("PrimaryCriteriaLimit") or {}).get("Type", "First") == "First"
    )
    return CohortDefinition(
        name=name, domain=_CIRCE_DOMAINS[kind],  # type: ignore[arg-type]
        concept_set=_circe_concept_set(expression, criterion.get("CodesetId"), name),
        min_age=min_age, max_age=max_age,
        sex=sexes[0] if len(sexes) == 1 else None,  # type: ignore[arg-type]
        window_start=start, window_end=end, index="first" if first else "all",
        prior_observation_days=int(window.get("PriorDays", 0) or 0),
        notes=tuple(f"{key} is not applied (index dates only)" for key in _IGNORED if key in expression),
    )  # fmt: skip


def _circe_concept_set(expression: dict[str, Any], codeset_id: Any, name: str) -> ConceptSet:
    for concept_set in expression.get("ConceptSets") or []:
        if concept_set.get("id") == codeset_id:
            items = (concept_set.get("expression") or {}).get("items") or []
            break
    else:
        raise CohortError(f"Circe cohort '{name}': no concept set with id {codeset_id}")
    plain, descendants, excluded = [], [], []
    for item in items:
        concept_id = int(item["concept"]["CONCEPT_ID"])
        if item.get("isExcluded"):
            excluded.append(concept_id)
        elif item.get("includeDescendants"):
            descendants.append(concept_id)
        else:
            plain.append(concept_id)
    return ConceptSet(tuple(plain), tuple(descendants), tuple(excluded))


def _circe_range(value: Any, name: str, label: str) -> tuple[int | None, int | None]:
    if not value:
        return None, None
    op, low, high = value.get("Op"), value.get("Value"), value.get("Extent")
    bounds: dict[str, tuple[int | None, int | None]] = {
        "gte": (low, None), "gt": (low + 1, None), "lte": (None, low), "lt": (None, low - 1),
        "eq": (low, low), "bt": (low, high),
    }  # fmt: skip
    if op not in bounds:
        raise CohortError(f"Circe cohort '{name}': {label} operator '{op}' is not supported")
    return bounds[op]


def _circe_dates(value: Any, name: str) -> tuple[date | None, date | None]:
    if not value:
        return None, None
    op = value.get("Op")
    low = date.fromisoformat(value["Value"])
    high = date.fromisoformat(value["Extent"]) if value.get("Extent") else None
    day = timedelta(days=1)
    bounds = {"gte": (low, None), "gt": (low + day, None), "lte": (None, low),
              "lt": (None, low - day), "bt": (low, high)}  # fmt: skip
    if op not in bounds:
        raise CohortError(
            f"Circe cohort '{name}': OccurrenceStartDate operator '{op}' is not supported"
        )
    return bounds[op]
