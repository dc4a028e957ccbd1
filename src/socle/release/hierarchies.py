"""Generalisation hierarchies for quasi-identifiers: each level coarser than the one before.

Level 0 is the value as extracted; the last level is ``*`` (the value withheld).
A hierarchy is a plug-in found by name (:data:`HIERARCHIES`); each level is a
function from a pandas Series to a Series of strings, so every level of every
row is computed once, vectorised.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from socle.release.errors import OutputError

Level = Callable[[pd.Series], pd.Series]
STAR = "*"


@dataclass(frozen=True)
class Hierarchy:
    name: str
    description: str
    levels: tuple[Level, ...]  # level 0 first; the last gives '*'

    @property
    def height(self) -> int:
        return len(self.levels) - 1


def _raw(s: pd.Series) -> pd.Series:
    return s.astype("string").fillna(STAR)


def _star(s: pd.Series) -> pd.Series:
    return pd.Series(STAR, index=s.index, dtype="string")


def _bands(width: int) -> Level:
    def level(s: pd.Series) -> pd.Series:
        n = pd.to_numeric(s, errors="coerce")
        low = (n // width * width).astype("Int64")
        out = low.astype("string") + "-" + (low + width - 1).astype("string")
        return out.fillna(STAR)

    return level


def _date(part: str) -> Level:
    """ISO dates cut to a day, month, quarter or year (vectorised through numpy's datetimes)."""

    def level(s: pd.Series) -> pd.Series:
        days = pd.to_datetime(s, errors="coerce").to_numpy(dtype="datetime64[D]")
        if part == "quarter":
            months = days.astype("datetime64[M]").astype(np.int64)
            text = np.char.add(
                np.char.add((months // 12 + 1970).astype(str), "-Q"),
                (months % 12 // 3 + 1).astype(str),
            )
        else:
            unit = {"day": "D", "month": "M", "year": "Y"}[part]
            text = np.datetime_as_string(days, unit=unit)  # type: ignore[call-overload]
        out = pd.Series(text, index=s.index, dtype="string")
        return out.where(~np.isnat(days), STAR)

    return level


def _prefix(digits: int) -> Level:
    def level(s: pd.Series) -> pd.Series:
        return s.astype("string").str.slice(0, digits).fillna(STAR)

    return level


HIERARCHIES: dict[str, Hierarchy] = {
    h.name: h
    for h in (
        Hierarchy("age", "age in years → 5-, 10-, 20-year bands → *",
                  (_raw, _bands(5), _bands(10), _bands(20), _star)),
        Hierarchy("year", "a year (of birth) → 5-, 10-, 20-year periods → *",
                  (_raw, _bands(5), _bands(10), _bands(20), _star)),
        Hierarchy("date", "a date → month → quarter → year → *",
                  (_date("day"), _date("month"), _date("quarter"), _date("year"), _star)),
        Hierarchy("zip", "a zip code → its first 3 digits → first digit → *",
                  (_raw, _prefix(3), _prefix(1), _star)),
        Hierarchy("category", "a category (sex, race, state…) → *", (_raw, _star)),
    )
}  # fmt: skip


def hierarchy(name: str) -> Hierarchy:
    try:
        return HIERARCHIES[name]
    except KeyError:
        raise OutputError(
            f"no generalisation hierarchy '{name}'; use one of {', '.join(sorted(HIERARCHIES))}"
        ) from None
