"""Presidio pattern recognisers: phones, e-mails, numbers, dates, zip codes, addresses, URLs.

One set per language (Presidio binds a recogniser to one language). Patterns
use the ``regex`` module (Presidio's), so a name after a title is matched with
a variable-length look-behind and the title itself survives. Presidio's own
e-mail and URL recognisers are not used: they validate with ``tldextract``,
which fetches the public-suffix list from the network.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import TYPE_CHECKING, Any, NamedTuple

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
        # A hospital word then an institution's designation, in any case, up to the
        # punctuation that ends it ("Hôpital centre cardiologique du nord, Montbazon").
        (
            "hospital_designation",
            r"\b(?:h[ôo]pital|hospital|chu|chr|clinique|ghu)\s+(?:centre|institut|groupe|"
            r"fondation|maison|p[ôo]le|h[ôo]pital)\s+[^\W\d_][\w'’\-]*"
            r"(?:[ \t]+(?:(?:d[eu']|des|la|le|l'|l’|et)[ \t]*)?[^\W\d_][\w'’\-]*){0,4}"
            r"(?=[ \t]*(?:[,.;:()\n]|$))",
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
    "hospital_designation": ("pital", "chu", "chr", "clini", "ghu"),
    "name_field": ("nom", "identit"),  # "prénom" holds "nom"
    "labelled_number": (
        *("ipp", "nda", "nip", "mrn", "nss", "ssn", "n°", "num", "dossier"),
        *("passport", "passeport", "licen", "permis"),
    ),
    "fr_street": _STREETS,
    "fr_street_zip": _STREETS,
}


# The characters a match can start with, for patterns whose every match starts with a digit
# or a few symbols. On a text whose digits are all ASCII, the pattern is searched behind a
# look-ahead for them, ``(?=[0-9])``, which lets ``re`` skip to candidate characters in C
# (twice as fast); a text with another script's digits (which ``\d`` matches) is searched
# without it.
FIRST: dict[str, str] = {
    "fr_phone": "[+0]",
    "us_phone": "[+(0-9]",
    "spaced_phone": "[(0]",
    "us_ssn": "[0-9]",
    "fr_nir": "[12]",
    "long_number": "[0-9]",
    "uuid": "[0-9a-f]",
    "iso": "[0-9]",
    "numeric": "[0-9]",
    "numeric_us": "[0-9]",
    "spaced": "[0-9]",
    "zip_before_city": "[0-9]",
    "us_zip_plus4": "[0-9]",
    "fr_street": "[0-9]",
    "city_after_zip": "[0-9]",
}
_OTHER_DIGIT = re.compile(r"(?![0-9])\d")


def ascii_digits(text: str) -> bool:
    """Every digit of ``text`` is one of 0-9 (so :data:`FIRST` look-aheads are exact)."""
    return text.isascii() or not _OTHER_DIGIT.search(text)


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
        ),
        # A form's name field: "Nom : KOWALSKI", "nom d'usage : Fabre", "Prénom : Anna",
        # its value up to the line's end or the next field.
        (
            "name_field",
            r"\b(?:nom(?:\s+(?:de\s+naissance|d['’]usage|de\s+jeune\s+fille|marital|usuel|"
            r"patronymique))?|pr[ée]noms?|identit[ée])[ \t]*:[ \t]*"
            rf"({_NAME}(?:[ \t]+(?!(?:pr[ée]nom|nom|n[ée]e?|date|sexe|[âa]ge)\b){_NAME}){{0,2}})",
            0.7,
        ),
    ],
    "ID": [
        (
            "labelled_number",
            r"\b(?:ipp|nda|nip|mrn|nss|ssn|(?:n°|num[ée]ro)\s*(?:de\s+)?(?:dossier|s[ée]jour|patient|venue)|"
            r"dossier|passport|passeport|licen[cs]e|permis)\s*(?:n°|no\.?|number|num[ée]ro)?"
            r"\s*[:#=]?\s*(?=[a-z\-]*\d)([a-z0-9][a-z0-9\-]{3,})",
            0.85,
        )
    ],
}


_ESCAPE = re.compile(r"\\.")


def _lower_case_only(rx: str) -> bool:
    """``rx`` holds no capital letter (escapes apart): it may search lower-cased text."""
    return not re.search(r"[A-Z]", _ESCAPE.sub("", rx))


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

    if _lower_case_only(rx):
        try:
            return re.compile(rx, re.MULTILINE), True
        except re.error:
            pass
    return regex.compile(rx, regex.IGNORECASE | regex.MULTILINE | regex.VERSION0), False


Found = tuple[int, int, str, float]  # start, end, entity, score


class Text(NamedTuple):
    """A text prepared once for every scanner."""

    text: str
    lower: str  # ``text.lower()``, or empty when a character lower-cases to two
    ascii_digits: bool  # every digit is 0-9 (:data:`FIRST`)


def prepare(text: str) -> Text:
    lower = text.lower()
    return Text(text, lower if len(lower) == len(text) else "", ascii_digits(text))


class _Pattern:
    """One compiled pattern and how to search it (see :class:`PatternScanner`)."""

    def __init__(
        self, rx: str, score: float, literals: tuple[str, ...] = (), first: str | None = None
    ) -> None:
        compiled, self.lowered = compile_pattern(rx)
        self.on_lower, self.on_text = _usable(compiled, self.lowered)
        self.fast = re.compile(f"(?={first}){rx}", re.MULTILINE) if first and self.lowered else None
        self.score, self.literals = score, literals

    def finditer(self, t: Text) -> Iterator[re.Match[str]]:
        if t.lower and self.literals and not any(x in t.lower for x in self.literals):
            return iter(())
        if not (self.lowered and t.lower):
            return iter(self.on_text.finditer(t.text))
        pattern = self.fast if self.fast is not None and t.ascii_digits else self.on_lower
        return iter(pattern.finditer(t.lower))


class PatternScanner:
    """One entity's patterns, searched in a text: Presidio's ``PatternRecognizer`` minus
    what costs and serves nothing here.

    Same spans and scores, but no explanation object per match (the analyzer is never
    asked for its decision process) and no ``regex`` timeout, whose clock reads took 15%
    of the time: the patterns are Socle's own, with bounded repetitions and no nested
    unbounded quantifier, over texts of at most ``SOCLE_NOTES_MAX_CHARS``. Patterns
    marked ``lowered`` (:func:`compile_pattern`) search the lower-cased text, unless
    lower-casing changes its length (then the text itself, case-insensitively); a
    pattern with :data:`LITERALS` runs only on a text holding one of them, one in
    :data:`FIRST` behind its look-ahead. With a ``gate`` (a necessary condition of every
    pattern), a text where it does not occur is skipped.
    """

    def __init__(
        self, entity: str, patterns: list[_Pattern], *, name: str, gate: _Pattern | None = None
    ) -> None:
        self.entity, self.name, self.patterns, self.gate = entity, name, patterns, gate

    def find(self, t: Text) -> list[Found]:
        if self.gate is not None and next(self.gate.finditer(t), None) is None:
            return []
        entity = self.entity
        return [
            (m.start(), m.end(), entity, p.score)
            for p in self.patterns
            for m in p.finditer(t)
            if m.end() > m.start()
        ]


class LabelledScanner:
    """Patterns whose group 1 is the identifier (a look-behind would scan too slowly).

    Matched case-insensitively with ``re``; a pattern without capitals on the lower-cased
    text, behind its :data:`FIRST` look-ahead and :data:`LITERALS` gate as in
    :class:`PatternScanner`.
    """

    def __init__(self, entity: str, patterns: list[tuple[str, str, float]], *, name: str) -> None:
        self.entity, self.name = entity, name
        self.patterns = [
            (*self._compiled(n, rx), score, LITERALS.get(n, ())) for n, rx, score in patterns
        ]

    @staticmethod
    def _compiled(name: str, rx: str) -> tuple[Any, Any, Any]:
        """The pattern for the text (case-insensitive), for lower-cased text (``None`` if it
        holds capitals), and behind its :data:`FIRST` look-ahead on the lower-cased text
        (else on the text, case-insensitively), if it has one."""
        lowered = _lower_case_only(rx)
        ahead = f"(?={FIRST[name]}){rx}" if name in FIRST else None
        return (
            re.compile(rx, re.IGNORECASE),
            re.compile(rx) if lowered else None,
            None if ahead is None else re.compile(ahead, 0 if lowered else re.IGNORECASE),
        )

    def find(self, t: Text) -> list[Found]:
        found: list[Found] = []
        for on_text, on_lower, fast, score, literals in self.patterns:
            if t.lower and literals and not any(x in t.lower for x in literals):
                continue
            if on_lower is not None and t.lower:
                text, pattern = t.lower, fast if fast is not None and t.ascii_digits else on_lower
            else:
                fast_on_text = fast is not None and on_lower is None and t.ascii_digits
                text, pattern = t.text, fast if fast_on_text else on_text
            found += [(m.start(1), m.end(1), self.entity, score) for m in pattern.finditer(text)]
        return found


Scanner = PatternScanner | LabelledScanner


@lru_cache(maxsize=4)
def scanners(language: str) -> tuple[Scanner, ...]:
    """The pattern scanners of ``language`` (written dates apart, gated), built once."""
    found: list[Scanner] = [
        LabelledScanner(entity, patterns, name=f"socle_labelled_{entity.lower()}_{language}")
        for entity, patterns in LABELLED.items()
    ]
    written = [_Pattern(rx, score) for name, rx, score in PATTERNS["DATE"] if name in WRITTEN_DATES]
    found.append(
        PatternScanner(
            "DATE",
            written,
            name=f"socle_date_written_{language}",
            gate=_Pattern(WRITTEN_DATE_GATE, 0.0),
        )
    )
    return (
        *found,
        *(
            PatternScanner(
                entity,
                [
                    _Pattern(rx, score, LITERALS.get(name, ()), FIRST.get(name))
                    for name, rx, score in patterns
                    if entity != "DATE" or name not in WRITTEN_DATES
                ],
                name=f"socle_{entity.lower()}_{language}",
            )
            for entity, patterns in PATTERNS.items()
        ),
    )


def _usable(pattern: Any, lowered: bool) -> tuple[Any, Any]:
    """The pattern for lower-cased text, and one for the text as it is (case-insensitive)."""
    if not lowered:
        return pattern, pattern
    import regex

    return pattern, regex.compile(pattern.pattern, regex.IGNORECASE | regex.MULTILINE | regex.V0)


def pattern_recognizers(language: str) -> list[EntityRecognizer]:
    """Presidio recognisers over :func:`scanners` (for the analyzer of languages with NER)."""
    wrapper = _recognizer_class()
    return [wrapper(scanner, language) for scanner in scanners(language)]


@lru_cache(maxsize=1)
def _recognizer_class() -> Any:
    from presidio_analyzer import EntityRecognizer, RecognizerResult

    class ScannerRecognizer(EntityRecognizer):
        """A :class:`PatternScanner` or :class:`LabelledScanner` as a Presidio recogniser."""

        def __init__(self, scanner: Scanner, language: str) -> None:
            self.scanner = scanner
            super().__init__(
                supported_entities=[scanner.entity],
                name=scanner.name,
                supported_language=language,
                context=[],
            )

        def load(self) -> None:
            """Compiled on construction."""

        def analyze(
            self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
        ) -> list[RecognizerResult]:
            return [
                RecognizerResult(entity, start, end, score)
                for start, end, entity, score in self.scanner.find(prepare(text))
            ]

    return ScannerRecognizer
