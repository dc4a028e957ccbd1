"""The two halves of the mandatory checkpoint every purposeful read passes.

:class:`GrantScope` says *what* may be read (tables, columns, period, and the
:class:`Population` of persons the project asked for) for a purpose;
governance builds it from an active grant. :class:`PersonFilter`
says *whose* rows may be read for that purpose; consent builds it from the
registry. The warehouse refuses a scoped read unless both are given and name
the same purpose.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

Sex = Literal["M", "F"]
MAX_AGE = 130
# OMOP standard gender concepts of the person table.
GENDER_CONCEPT: dict[str, int] = {"M": 8507, "F": 8532}


def sex_label(column: str = "gender_concept_id") -> str:
    """SQL giving 'M', 'F' or 'U' (unknown) for a person's gender concept: the one mapping
    every count, profile and feature uses."""
    return (
        f"CASE {column} WHEN {GENDER_CONCEPT['M']} THEN 'M' "
        f"WHEN {GENDER_CONCEPT['F']} THEN 'F' ELSE 'U' END"
    )


@dataclass(frozen=True)
class Population:
    """Row restriction a project asks for: an age range at the grant's start and a sex.

    Every bound is optional. Age is counted in whole years from the year of
    birth (``reference year - year_of_birth``), the one birth field every
    OMOP person row has. :meth:`problems` says what is wrong with a
    restriction; governance refuses a request whose population has any.
    """

    min_age: int | None = None
    max_age: int | None = None
    sex: Sex | None = None

    def problems(self) -> list[str]:
        """Every reason this restriction is invalid (empty when it is valid)."""
        found = [
            f"{name} {value} is outside 0-{MAX_AGE}"
            for name, value in (("min_age", self.min_age), ("max_age", self.max_age))
            if value is not None and not 0 <= value <= MAX_AGE
        ]
        if self.min_age is not None and self.max_age is not None and self.min_age > self.max_age:
            found.append(f"min_age {self.min_age} is above max_age {self.max_age}")
        if self.sex is not None and self.sex not in GENDER_CONCEPT:
            found.append(f"sex '{self.sex}' is not one of {', '.join(GENDER_CONCEPT)}")
        return found

    def birth_years(self, on: date) -> tuple[int | None, int | None]:
        """The earliest and latest year of birth of a person in the age range on ``on``."""
        earliest = on.year - self.max_age if self.max_age is not None else None
        latest = on.year - self.min_age if self.min_age is not None else None
        return earliest, latest


@dataclass(frozen=True)
class GrantScope:
    """Columns, period and population a grant allows, for one purpose.

    ``population`` restricts every scoped view to matching persons, with ages
    counted on ``starts`` (the grant's first day); a scope with a population
    and no ``starts`` is refused.
    """

    grant_id: str
    purpose: str
    columns: dict[str, tuple[str, ...]]
    period_start: date | None = None
    period_end: date | None = None
    population: Population | None = None
    starts: date | None = None


@dataclass(frozen=True)
class PersonFilter:
    """Persons whose consent state excludes the purpose on a date.

    For an opt-out purpose, ``excluded_person_ids`` lists the objectors; for an
    opt-in purpose, ``included_only`` lists the only persons who may be read.
    """

    purpose: str
    as_of: date
    excluded_person_ids: frozenset[int] = field(default_factory=frozenset)
    included_only: frozenset[int] | None = None  # set for opt-in purposes
