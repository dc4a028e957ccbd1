"""Socle's patterns: phones, e-mails, numbers, dates, zip codes, addresses, URLs, names.

Written as regular expressions matched case-insensitively (letters in lower
case, except inside ``(?-i:...)``); compiled and searched by
:mod:`socle.notes.scanners`. Presidio's own e-mail and URL recognisers are not
used: they validate with ``tldextract``, which fetches the public-suffix list
from the network.
"""

from __future__ import annotations

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
    "name_field": ("nom", "identit"),
    "place_after_a": ("à",),  # "prénom" holds "nom"
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


LABELLED: dict[str, list[tuple[str, str, float]]] = {
    "LOCATION": [
        # The words after a zip code, on its line: the city.
        (
            "city_after_zip",
            rf"\b{_ZIP}[ \t]{{1,3}}([^\W\d_][\w'’\-]*(?:[ \t]+[^\W\d_][\w'’\-]*){{0,2}})",
            0.6,
        ),
        # A capitalised word after "à" inside a sentence: a place ("fait à Quimper", "chez sa
        # sœur à Brest"); French writes a common noun after "à" in lower case.
        (
            "place_after_a",
            r"(?-i:\bà[ \t]+([A-ZÀ-Ý][a-zà-ÿ]+(?:-[A-Za-zÀ-ÿ][a-zà-ÿ]*)*))",
            0.6,
        ),
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
