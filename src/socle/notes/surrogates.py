"""Typed surrogates: what replaces each kind of identifier in the stored text.

Every identifier becomes its type in brackets (``[PATIENT]``, ``[PHONE]``, …),
except dates: a date with a day is moved back by the patient's offset — the
same one the warehouse applies to that person's structured dates — and
written as ``YYYY-MM-DD``, so intervals inside a record survive. A date that
cannot be read to the day (``juin 2015``, ``9-2-78`` read both ways…) is
replaced by ``[DATE]``. The mapping from surrogate to original is never kept.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

SURROGATE = {
    "PATIENT": "[PATIENT]",
    "PERSON": "[PERSON]",
    "PRACTITIONER": "[PRACTITIONER]",
    "ORGANIZATION": "[ORGANIZATION]",
    "LOCATION": "[LOCATION]",
    "ADDRESS": "[ADDRESS]",
    "ZIP": "[ZIP]",
    "PHONE": "[PHONE]",
    "EMAIL": "[EMAIL]",
    "URL": "[URL]",
    "ID": "[ID]",
    "DATE": "[DATE]",
}

_MONTHS = {
    "jan": 1, "janv": 1, "janvier": 1, "january": 1,
    "feb": 2, "february": 2, "fev": 2, "fév": 2, "fevr": 2, "févr": 2, "fevrier": 2,
    "février": 2,
    "mar": 3, "mars": 3, "march": 3,
    "apr": 4, "april": 4, "avr": 4, "avril": 4,
    "may": 5, "mai": 5,
    "jun": 6, "june": 6, "juin": 6,
    "jul": 7, "july": 7, "juil": 7, "juillet": 7,
    "aug": 8, "august": 8, "aou": 8, "aout": 8, "aoû": 8, "août": 8,
    "sep": 9, "sept": 9, "september": 9, "septembre": 9,
    "oct": 10, "october": 10, "octobre": 10,
    "nov": 11, "november": 11, "novembre": 11,
    "dec": 12, "december": 12, "déc": 12, "decembre": 12, "décembre": 12,
}  # fmt: skip
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_NUMERIC = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})$")
_SPACED = re.compile(r"\d(?: \d){7}|[\d ]+[/.\-] ?[\d ]+[/.\-][\d ]+")
_WORDS = re.compile(r"[^\W\d_]+|\d+")


def _year(text: str) -> int:
    year = int(text)
    if len(text) == 2:
        year += 2000 if year < 50 else 1900
    return year


def _safe(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def parse_date(text: str, language: str) -> date | None:
    """The day a matched date names, or ``None`` if it names no single day."""
    text = text.strip()
    if _SPACED.fullmatch(text):  # typed digit by digit: "0 3 0 6 2 0 7 9", "2 2 / 2 / 2 0 6 6"
        compact = text.replace(" ", "")
        text = f"{compact[:2]}/{compact[2:4]}/{compact[4:]}" if compact.isdigit() else compact
    if m := _ISO.match(text):
        return _safe(int(m[1]), int(m[2]), int(m[3]))
    if m := _NUMERIC.match(text):
        a, b, year = int(m[1]), int(m[2]), _year(m[3])
        if language == "en" and "/" in text:
            a, b = b, a  # month first
        return _safe(year, b, a)
    words = [w.casefold() for w in _WORDS.findall(text)]
    numbers = [w for w in words if w.isdigit()]
    months = [_MONTHS[w] for w in words if w in _MONTHS]
    if len(numbers) == 2 and len(months) == 1:
        day, year = numbers if len(numbers[1]) == 4 else numbers[::-1]
        return _safe(_year(year), months[0], int(day))
    return None


def date_surrogate(text: str, language: str, shift_days: int) -> str:
    """The shifted day as ``YYYY-MM-DD``, or ``[DATE]`` when ``text`` names no single day."""
    day = parse_date(text, language)
    if day is None:
        return SURROGATE["DATE"]
    return (day - timedelta(days=shift_days)).isoformat()


def surrogate(label: str) -> str:
    return SURROGATE.get(label, f"[{label}]")
