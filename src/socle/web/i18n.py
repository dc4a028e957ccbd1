"""French and English: the language a page speaks, its words, and numbers and dates in it.

The language is the visitor's explicit choice (a cookie set by the switch in
every page's header) or else the best match of the browser's
``Accept-Language``; English when neither names a language we speak.
"""

from __future__ import annotations

from datetime import date, datetime

from socle.web.messages import MESSAGES

LANGUAGES = ("en", "fr")
DEFAULT = "en"
COOKIE = "socle_lang"


def negotiate(accept_language: str, chosen: str | None) -> str:
    """The page's language: an explicit choice first, then the browser's preference order."""
    if chosen in LANGUAGES:
        return chosen
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        ranked.append((-quality, position, tag.strip().lower()[:2]))
    for quality, _, lang in sorted(ranked):
        if quality < 0 and lang in LANGUAGES:
            return lang
    return DEFAULT


class Translator:
    """The words, numbers and dates of one language."""

    def __init__(self, lang: str) -> None:
        self.lang = lang if lang in LANGUAGES else DEFAULT
        self._words = MESSAGES[self.lang]

    def __call__(self, key: str, **values: object) -> str:
        text = self._words.get(key) or MESSAGES[DEFAULT].get(key) or key
        return text.format(**values) if values else text

    def number(self, value: float | int | None, digits: int = 0) -> str:
        if value is None:
            return self("hidden")
        text = f"{value:,.{digits}f}"
        if self.lang == "fr":
            text = text.replace(",", "\u202f").replace(".", ",")
        return text

    def date(self, value: date | datetime | str | None) -> str:
        if value is None or value == "":
            return "—"
        if isinstance(value, str):
            try:
                parsed: date | datetime = datetime.fromisoformat(value)
            except ValueError:
                return value
        else:
            parsed = value
        day = parsed.date() if isinstance(parsed, datetime) else parsed
        return day.strftime("%d/%m/%Y") if self.lang == "fr" else day.isoformat()

    def duration(self, seconds: float | None) -> str:
        if seconds is None:
            return "—"
        days = seconds / 86400
        if days >= 1:
            return self("days", n=self.number(days, 1))
        return self("hours", n=self.number(seconds / 3600, 1))
