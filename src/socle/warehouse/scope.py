"""The two halves of the mandatory checkpoint every purposeful read passes.

:class:`GrantScope` says *what* may be read (tables, columns, period) for a
purpose; governance builds it from an active grant. :class:`PersonFilter`
says *whose* rows may be read for that purpose; consent builds it from the
registry. The warehouse refuses a scoped read unless both are given and name
the same purpose.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class GrantScope:
    """Columns and period a grant allows, for one purpose."""

    grant_id: str
    purpose: str
    columns: dict[str, tuple[str, ...]]
    period_start: date | None = None
    period_end: date | None = None


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
