"""Presidio pattern recognisers: phones, e-mails, numbers, dates, zip codes, addresses, URLs.

One set per language (Presidio binds a recogniser to one language). Patterns
use the ``regex`` module (Presidio's), so a name after a title is matched with
a variable-length look-behind and the title itself survives. Presidio's own
e-mail and URL recognisers are not used: they validate with ``tldextract``,
which fetches the public-suffix list from the network.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from presidio_analyzer import EntityRecognizer
    from presidio_analyzer.nlp_engine import NlpArtifacts

_FR_MONTHS = (
    r"janv(?:ier)?|f[ée]vr?(?:ier)?|mars|avr(?:il)?|mai|juin|juil(?:let)?|ao[uû]t|"
    r"sept?(?:embre)?|oct(?:obre)?|nov(?:embre)?|d[ée]c(?:embre)?"
)
_EN_MONTHS = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
_DAY = r"(?:0?[1-9]|[12]\d|3[01])(?:er)?"
_NUM_MONTH = r"(?:0?[1-9]|1[0-2])"
_YEAR = r"(?:\d{4}|\d{2})"
_WEEKDAY = r"(?:lun|mar|mer|jeu|ven|sam|dim|mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+"
# Dates typed digit by digit ("0 3 0 6 2 0 7 9", "2 1 - 0 9 - 2 0 8 8"): one or two spaced
# digits, a separator, one or two, the same separator, two or four; or eight spaced digits
# (the same separator twice, so a dose "0.15/30 28" is no date).
_SPACED = r"\d(?: ?\d)?"

DATE_PATTERNS = {
    "iso": rf"\b\d{{4}}-{_NUM_MONTH}-{_DAY}(?:[t ]\d{{2}}:\d{{2}}(?::\d{{2}}(?:\.\d+)?)?(?:z|[+-]\d{{2}}:?\d{{2}})?)?\b",
    "numeric": rf"\b{_DAY}[/.\-]{_NUM_MONTH}[/.\-]{_YEAR}\b",
    "numeric_us": rf"\b{_NUM_MONTH}/{_DAY}/{_YEAR}\b",
    "fr_written": rf"\b(?:{_WEEKDAY})?{_DAY}\s+(?:{_FR_MONTHS})\.?\s+\d{{4}}\b",
    "en_written": rf"\b(?:{_WEEKDAY})?(?:{_DAY}\s+(?:{_EN_MONTHS})\.?,?\s+\d{{4}}|(?:{_EN_MONTHS})\.?\s+{_DAY},?\s+\d{{4}})\b",
    "spaced": rf"(?<![\w/.\-])(?:{_SPACED} ?([/.\-]) ?{_SPACED} ?\1 ?\d ?\d(?: ?\d ?\d)?|\d(?: \d){{7}})(?![\w/])",
    "month_year": rf"\b(?:{_FR_MONTHS}|{_EN_MONTHS})\.?\s+\d{{4}}\b",
}

# Dates written with a month name: a quarter of the patterns' time on English notes, and
# each needs a month name followed (after an optional dot, comma and spaces) by a digit —
# the day or the year — so a text without one is not scanned by them.
WRITTEN_DATES = frozenset({"fr_written", "en_written", "month_year"})
WRITTEN_DATE_GATE = rf"(?:{_FR_MONTHS}|{_EN_MONTHS})\.?,?\s+\d"

# ", 17420 picard", " 80739 Saint Claudine-la-Forêt": a zip code and the words after it.
_ZIP = r"(?:\d{5}|2[ab]\s?\d{3})"
_ZIP_CITY = rf"\s*,?\s*{_ZIP}[ \t]+[^\W\d_][\w'’\-]*(?:[ \t]+[^\W\d_][\w'’\-]*){{0,2}}"
_TITLES = (
    r"M\.|Mme|Mlle|Mr\.?|Mrs\.?|Ms\.?|Dr\.?|Docteur|Doctor|Pr\.?|Professeur|Madame|Monsieur|"
    r"Mademoiselle|Miss"
)
_NAME = r"[^\W\d_][\w'’\-]*"

PATTERNS: dict[str, list[tuple[str, str, float]]] = {
    "EMAIL": [("email", r"\b[\w.%+\-]+@[\w\-]+(?:\.[\w\-]+)*\.[a-z]{2,}\b", 0.95)],
    "URL": [("url", r"\b(?:https?://|www\.)[^\s<>\"']+[^\s<>\"'.,;:)]", 0.9)],
    "PHONE": [
        (
            "fr_phone",
            r"(?<![\w+])(?:(?:\+|00)\s?33\s?(?:\(0\))?\s?|0)[1-9](?:[\s.\-]?\d{2}){4}(?!\d)",
            0.9,
        ),
        (
            "us_phone",
            r"(?<![\w+])(?:\+?1[\s.\-]?)?(?:\(\d{3}\)|\d{3})[\s.\-]?\d{3}[\s.\-]\d{4}(?!\d)",
            0.8,
        ),
        # Ten digits typed with separators anywhere ("0 1 - 6 4 - 7 7 - 1 6 - 6 5"), a
        # bracketed prefix allowed ("(26) 0 32 70 72 62").
        (
            "spaced_phone",
            r"(?<![\w+])(?:\(\d{2,3}\)\s?(?:[ .\-]{0,3}\d){8,9}|0(?:[ .\-]{0,3}\d){9})(?![ .\-]?\d)",
            0.8,
        ),
    ],
    "ID": [
        ("us_ssn", r"\b\d{3}-\d{2}-\d{4}\b", 0.9),
        (
            "fr_nir",
            r"\b[12][\s.]?\d{2}[\s.]?(?:0[1-9]|1[0-2]|[2-9]\d)[\s.]?(?:\d{2}|2[ab])"
            r"[\s.]?\d{3}[\s.]?\d{3}(?:[\s.]?\d{2})?\b",
            0.9,
        ),
        ("long_number", r"\b\d{7,}\b", 0.6),
        ("uuid", r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", 0.8),
    ],
    "DATE": [(name, regex, 0.8) for name, regex in DATE_PATTERNS.items()],
    "ZIP": [
        ("zip_before_city", r"\b(?:\d{5}|\d{2}\s\d{3}|2[ab]\s?\d{3})(?=\s*,?\s+[^\W\d_])", 0.6),
        ("us_zip_plus4", r"\b\d{5}-\d{4}\b", 0.8),
    ],
    "ADDRESS": [
        (
            "fr_street",
            r"\b\d{1,4}(?:\s?(?:bis|ter))?\s*,?\s+(?:rue|avenue|av\.|bd|boulevard|place|all[ée]e|"
            r"impasse|chemin|route|quai|cours|square|passage|r[ée]sidence|villa|cit[ée])\b"
            r"(?:\s+(?:d[eu']|des|la|le|l'|l’)?\s*[^\W\d_][\w'’\-]*){1,4}"
            rf"(?:{_ZIP_CITY})?",
            0.8,
        ),
        (
            "fr_street_zip",
            r"\b(?:rue|avenue|av\.|bd|boulevard|place|all[ée]e|impasse|chemin|route|quai|"
            r"cours|square|passage)\b(?:\s+(?:d[eu']|des|la|le|l'|l’)?\s*[^\W\d_][\w'’\-]*)"
            rf"{{1,4}}{_ZIP_CITY}",
            0.8,
        ),
        (
            "en_street",
            r"(?<![\w\-/.])\d{1,5}\s+(?-i:(?:[A-Z][\w'\-]*\s+){1,4}(?:Street|St|Avenue|Ave|Road|"
            r"Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|Circle))\b\.?"
            r"(?:\s*,?\s*(?:apt|suite|unit)\.?\s*\w+)?",
            0.8,
        ),
    ],
    "PERSON": [
        # Synthea invents names by appending digits to a word (Adrianne466 Beer512).
        ("synthea_name", r"\b(?-i:[A-Z][a-z]+\d{1,4})\b", 0.7),
    ],
    "LOCATION": [
        # A capitalised hyphenated place after "à" ("scolarisé à Sin-Le-Noble").
        ("hyphenated_place", r"(?<=\b[àa][ \t])(?-i:[A-Z][\w]*(?:-[A-Za-z][\w]*)+)", 0.6),
    ],
    "ORGANIZATION": [
        # "l'" before a consonant is not French: a name was put there ("l'Brt", "l'Cds X").
        (
            "elided_name",
            r"(?<=\b[lL]['’])(?-i:[B-DF-GJ-NP-TV-Z][\w\-]*(?:[ \t]+[A-Z][\w\-]*){0,3})",
            0.7,
        ),
        (
            "hospital",
            r"\b(?:h[ôo]pital|hospital|CHU|CHR|clinique|clinic|GHU|centre\s+hospitalier|"
            r"institut)\s+(?:(?:de|du|des|d'|la|le|l'|of|the)\s*)?[^\W\d_][\w'’\-]*"
            r"(?-i:\s+[A-ZÀ-Ý][\w'’\-]*){0,3}",
            0.7,
        ),
    ],
}


_STREETS: tuple[str, ...] = ("rue", "av", "bd", "boulevard", "place", "all", "impasse", "chemin")
_STREETS += ("route", "quai", "cours", "square", "passage", "sidence", "villa", "cit")
# Literals one of which every match of a pattern contains (in lower case): a text without
# any is not scanned by it (a substring test is far cheaper than a scan).
LITERALS: dict[str, tuple[str, ...]] = {
    "email": ("@",),
    "url": ("http", "www."),
    "us_ssn": ("-",),
    "uuid": ("-",),
    "us_zip_plus4": ("-",),
    "hyphenated_place": ("-",),
    "elided_name": ("l'", "l’"),
    "hospital": ("pital", "chu", "chr", "clini", "ghu", "centre", "institut"),
    "fr_street": _STREETS,
    "fr_street_zip": _STREETS,
}


# A value announced by a word that stays (the title, the kind of number): group 1 is removed.
LABELLED: dict[str, list[tuple[str, str, float]]] = {
    "LOCATION": [
        # The words after a zip code, on its line: the city.
        (
            "city_after_zip",
            rf"\b{_ZIP}[ \t]{{1,3}}([^\W\d_][\w'’\-]*(?:[ \t]+[^\W\d_][\w'’\-]*){{0,2}})",
            0.6,
        )
    ],
    "PERSON": [
        (
            "after_title",
            rf"\b(?:{_TITLES})\s+({_NAME}(?:\s+(?-i:[A-ZÀ-Ý])[\w'’\-]*)?)",
            0.7,
        )
    ],
    "ID": [
        (
            "labelled_number",
            r"\b(?:IPP|NDA|NIP|MRN|NSS|SSN|n°\s*(?:de\s+)?(?:dossier|s[ée]jour|patient)|"
            r"dossier|passport|passeport|licen[cs]e|permis)\s*(?:n°|no\.?|number|num[ée]ro)?"
            r"\s*[:#=]?\s*(?=[A-Z\-]*\d)([A-Z0-9][A-Z0-9\-]{3,})",
            0.85,
        )
    ],
}


_ESCAPE = re.compile(r"\\.")


def compile_pattern(rx: str) -> tuple[Any, bool]:
    """``rx`` compiled for case-insensitive search, and whether it runs on lower-cased text.

    Patterns are matched case-insensitively, so their letters are written in lower case
    (``2[ab]`` for Corsica) except inside ``(?-i:...)``.

    A pattern without capital letters (escapes apart) and that Python's ``re`` accepts
    (no variable-length look-behind) runs with ``re`` over the lower-cased text: five
    times faster than the ``regex`` module with its case-insensitive flag. The others
    use ``regex`` (Presidio's) with that flag.
    """
    import regex

    if not re.search(r"[A-Z]", _ESCAPE.sub("", rx)):
        try:
            return re.compile(rx, re.MULTILINE), True
        except re.error:
            pass
    return regex.compile(rx, regex.IGNORECASE | regex.MULTILINE | regex.VERSION0), False


def pattern_recognizers(language: str) -> list[EntityRecognizer]:
    """One pattern recogniser per entity (written dates apart, gated), for ``language``."""
    labelled, lean = _labelled_class(), _lean_class()
    recognizers: list[EntityRecognizer] = [
        labelled(entity, patterns, language) for entity, patterns in LABELLED.items()
    ]
    written = [p for p in PATTERNS["DATE"] if p[0] in WRITTEN_DATES]
    recognizers.append(
        lean(
            "DATE",
            [(*compile_pattern(rx), score, ()) for _, rx, score in written],
            name=f"socle_date_written_{language}",
            language=language,
            gate=compile_pattern(WRITTEN_DATE_GATE),
        )
    )
    return recognizers + [
        lean(
            entity,
            [
                (*compile_pattern(rx), score, LITERALS.get(name, ()))
                for name, rx, score in patterns
                if entity != "DATE" or name not in WRITTEN_DATES
            ],
            name=f"socle_{entity.lower()}_{language}",
            language=language,
        )
        for entity, patterns in PATTERNS.items()
    ]


@lru_cache(maxsize=1)
def _lean_class() -> Any:
    from presidio_analyzer import EntityRecognizer, RecognizerResult

    class LeanPatternRecognizer(EntityRecognizer):
        """Presidio's ``PatternRecognizer`` without what costs and serves nothing here.

        It finds the same spans with the same scores, but without an explanation object
        per match (the analyzer is never asked for its decision process) and without the
        ``regex`` module's timeout, whose clock reads took 15% of the time: the patterns
        are Socle's own, with bounded repetitions and no nested unbounded quantifier,
        over texts of at most ``SOCLE_NOTES_MAX_CHARS``. Patterns marked ``lowered``
        (:func:`compile_pattern`) search the lower-cased text, unless lower-casing
        changes its length (then the text itself, case-insensitively); a pattern with
        :data:`LITERALS` runs only on a text holding one of them. With a ``gate`` (a
        necessary condition of every pattern), a text where it does not occur is skipped.
        """

        def __init__(
            self,
            entity: str,
            patterns: list[tuple[Any, bool, float, tuple[str, ...]]],
            *,
            name: str,
            language: str,
            gate: tuple[Any, bool] | None = None,
        ) -> None:
            self.label = name
            self.patterns = [
                (_usable(p, low), low, score, literals) for p, low, score, literals in patterns
            ]
            self.gate = None if gate is None else (_usable(*gate), gate[1])
            super().__init__(
                supported_entities=[entity], name=name, supported_language=language, context=[]
            )

        def load(self) -> None:
            """Compiled on construction."""

        def analyze(
            self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
        ) -> list[RecognizerResult]:
            lower = text.lower()
            if len(lower) != len(text):  # a few characters lower-case to two: keep offsets
                lower = ""
            if self.gate is not None and not _search(self.gate, text, lower):
                return []
            entity = self.supported_entities[0]
            metadata = {
                RecognizerResult.RECOGNIZER_NAME_KEY: self.label,
                RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
            }
            results = [
                RecognizerResult(entity, m.start(), m.end(), score, recognition_metadata=metadata)
                for (on_lower, on_text), low, score, literals in self.patterns
                if not (lower and literals) or any(x in lower for x in literals)
                for m in (on_lower.finditer(lower) if low and lower else on_text.finditer(text))
                if m.end() > m.start()
            ]
            return EntityRecognizer.remove_duplicates(results) if len(results) > 1 else results

    return LeanPatternRecognizer


def _usable(pattern: Any, lowered: bool) -> tuple[Any, Any]:
    """The pattern for lower-cased text, and one for the text as it is (case-insensitive)."""
    if not lowered:
        return pattern, pattern
    import regex

    return pattern, regex.compile(pattern.pattern, regex.IGNORECASE | regex.MULTILINE | regex.V0)


def _search(gate: tuple[tuple[Any, Any], bool], text: str, lower: str) -> bool:
    (on_lower, on_text), lowered = gate
    return bool(on_lower.search(lower) if lowered and lower else on_text.search(text))


@lru_cache(maxsize=1)
def _labelled_class() -> Any:
    from presidio_analyzer import EntityRecognizer, RecognizerResult

    class LabelledValueRecognizer(EntityRecognizer):
        """Patterns whose group 1 is the identifier (a look-behind would scan too slowly)."""

        def __init__(
            self, entity: str, patterns: list[tuple[str, str, float]], language: str
        ) -> None:
            self.patterns = [(re.compile(rx, re.IGNORECASE), score) for _, rx, score in patterns]
            super().__init__(
                supported_entities=[entity],
                name=f"socle_labelled_{entity.lower()}_{language}",
                supported_language=language,
                context=[],
            )

        def load(self) -> None:
            """Compiled on construction."""

        def analyze(
            self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
        ) -> list[RecognizerResult]:
            entity = self.supported_entities[0]
            return [
                RecognizerResult(entity, m.start(1), m.end(1), score)
                for pattern, score in self.patterns
                for m in pattern.finditer(text)
            ]

    return LabelledValueRecognizer
