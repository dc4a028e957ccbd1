"""Pattern scanners run line by line, each distinct line scanned once: the same spans.

Notes are templated: the Synthea sample's 3,666 note texts hold 129,742 lines but
only 3,220 distinct ones. So a text is cut into *segments* at line breaks no match
can cross, each segment's findings are kept (offsets relative to the segment) and
shifted to where the segment stands: every scanner's spans are exactly those of the
whole text (``tests/unit/test_notes_lines.py`` checks it on every sample note, on
the French snippets and on generated texts).

Why the cut is exact. A regular expression scanning a text finds, between two line
breaks, what it finds in the line alone when none of its matches (nor its
look-arounds) reads a line break: the assertions that read one at a line's edge
(``\\b``, ``(?<![\\w+])``, ``(?!\\d)``, ``$``, ``[,.;:()\\n]`` before ``$``) hold
there exactly as at a string's edge. Patterns that cannot read a line break at all
need nothing more (the test tells them apart by parsing them). The
others read one only through ``\\s`` (a phone ``[\\s.\\-]?``, a date's ``\\s+``, a
title's ``\\s+``…), so a match crossing the break after a segment holds, just before
it, a piece of that match that ends where such a ``\\s`` starts. :data:`TAILS` lists,
for each of them, what such a piece ends with (a digit, a title, a street word and
up to eight words, …), over-approximated: a segment ending so (spaces and blank
lines aside) is joined to the next line, any other is cut. A match crossing a cut
would have to start in the segment (a match crossing an earlier cut is ruled out
the same way), so it cannot exist. Tails are searched with ``re`` in the lower-cased
segment (``en_street``'s capitals in the segment itself), on *plain* texts only — no
space but ASCII's and none of the letters ``ı İ ſ K`` — where ``re``, ``regex`` and
lower-casing agree on spaces and on which letters match an ASCII one (so a tail
matched case-insensitively by any engine is matched in lower case); any other text
is scanned whole, as before. Gates and :data:`~socle.notes.patterns.LITERALS`
hold inside every match, so they are exact on a segment; the lower-casing and digit
flags are the whole text's, so a segment is searched as in the whole text. New
segments are scanned several at once, joined by line breaks (each was followed in its
text by a cut, so the join is one too): :func:`prescan` gathers them from many notes.

The caches (:class:`~socle.notes.cache.TextCache`) hold lines of notes in memory
only — never written, never logged — each up to a quarter of :data:`MAX_CACHED_CHARS`
characters (one per language and flags, and the break decisions).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Sequence

from socle.notes.cache import TextCache
from socle.notes.patterns import _EN_MONTHS, _FR_MONTHS, _TITLES
from socle.notes.scanners import Found, Scanner, Text, ascii_digits, prepare, scanners

MAX_CACHED_CHARS = 4_000_000

_STREET = (
    r"rue|avenue|av\.|bd|boulevard|place|all[ée]e|impasse|chemin|route|quai|cours|square|"
    r"passage|r[ée]sidence|villa|cit[ée]"
)
_WEEKDAYS = r"lun|mar|mer|jeu|ven|sam|dim|mon|tue|wed|thu|fri|sat|sun"
_HOSPITAL = r"h[ôo]pital|hospital|chu|chr|clinique|clinic|ghu|centre|institut"
_NUMBER_WORDS = r"ipp|nda|nip|mrn|nss|ssn|n°|num[ée]ro|dossier|passport|passeport|licen[cs]e|permis"
# A run of non-spaces that may start a word: not an ASCII digit or punctuation mark.
_WORD = r"[^\s!-@\[-`{-~]\S*"
# What a segment ends with (then spaces and blank lines) when a match of a pattern that
# reads line breaks may run on past its end: the piece of the match before a ``\s`` that
# takes the break. Each covers the patterns named (patterns.py), over-approximated.
TAILS: dict[str, str] = {
    # phones ("+", digits, "(555)"), NIR, zip codes and dates: a digit, "1er,", Corsica's 2A
    "digit": r"[+\d](?:er)?,?",
    "bracket": r"\(\d{1,3}\)",
    "corsica": r"2[ab]",
    "zip_comma": r"\d\s*,",
    "bis_ter": r"\b(?:bis|ter)\s*,?",
    "weekday": rf"\b(?:{_WEEKDAYS})[a-z]*\.?,?",
    "month": rf"\b(?:{_FR_MONTHS}|{_EN_MONTHS})\.?,?",
    # fr_street, fr_street_zip: a street word, then up to four (particle and) words, a
    # comma and Corsica's "2A" before the zip code (words start with a letter).
    "street": rf"\b(?:{_STREET})(?:\s+{_WORD}){{0,8}}\s*,?(?:\s*2[ab])?",
    # en_street: a number and up to five capitalised words (the street type), "," or "apt".
    "en_street": r"\d\s+(?:[A-Z]\S*\s+){0,4}[A-Z]\S*\s*,?",
    "apartment": r"\b(?:apt|suite|unit)\.?",
    # hospital, hospital_designation: the word, a particle, up to five words.
    "hospital": rf"\b(?:{_HOSPITAL})(?:\s+{_WORD}){{0,6}}",
    # after_title: the title, and the name after it.
    "title": rf"\b(?:{_TITLES.lower()})(?:\s+\S+)?",
    # name_field: "nom", "nom de", "nom de jeune".
    "name_field": r"\bnom(?:\s+\S+){0,2}",
    # labelled_number: the label and up to four words ("numéro de dossier n° :").
    "number_label": rf"\b(?:{_NUMBER_WORDS})\S*(?:\s+\S+){{0,4}}",
}
# The patterns each tail covers, by the names of patterns.py (checked by a test: every
# pattern that can read a line break is covered).
COVERED = frozenset(
    {
        *("fr_phone", "us_phone", "spaced_phone", "fr_nir", "zip_before_city"),
        *("fr_written", "en_written", "month_year", "fr_street", "fr_street_zip"),
        *("en_street", "hospital", "hospital_designation", "city_after_zip"),
        *("after_title", "name_field", "labelled_number"),
    }
)
TAIL_WORDS = 12  # more than any tail spans
# Tails are written in lower case and searched in the lower-cased segment, but for the
# capitals of ``en_street`` (searched in the segment as it is).
_LOWER_TAILS = re.compile(
    rf"(?:{'|'.join(rx for name, rx in TAILS.items() if name != 'en_street')})\s*\Z"
)
_CASED_TAILS = re.compile(rf"(?:{TAILS['en_street']})\s*\Z")
# Where ``re`` and ``regex`` (and lower-casing) could disagree on a tail: a space other
# than ASCII's (``\s`` differs), or a letter another engine folds to an ASCII one
# (dotless ı and İ, long ſ, the Kelvin sign). A text holding one is scanned whole.
_UNPLAIN = re.compile("[^\\S \t\n\r\f\v]|[\u0131\u0130\u017f\u212a]")


def plain(text: str) -> bool:
    """Whether ``text`` may be scanned by segments (see :data:`_UNPLAIN`)."""
    return not _UNPLAIN.search(text)


def joins_next(segment: str) -> bool:
    """Whether a match may run from the end of ``segment`` (a :func:`plain` text) into the
    next line.

    A tail spans fewer than :data:`TAIL_WORDS` runs of non-spaces, so only the last ones
    are searched, from a space (where ``\\b`` holds as in the segment); in a plain text
    ``str.split`` and every engine's ``\\s`` cut at the same spaces.
    """
    words = segment.rsplit(None, TAIL_WORDS)
    tail = segment[len(words[0]) :] if len(words) > TAIL_WORDS else segment
    joins = _TAILS_SEEN.get(tail)
    if joins is None:
        joins = bool(_LOWER_TAILS.search(tail.lower()) or _CASED_TAILS.search(tail))
        _TAILS_SEEN.put(tail, joins)
    return joins


def segments(text: str) -> list[tuple[int, str]]:
    """``text`` cut at the line breaks no match can cross: ``(offset, segment)``."""
    cut: list[tuple[int, str]] = []
    lines = text.split("\n")
    start, end, last = 0, -1, len(lines) - 1
    joined = _JOINS.get
    for i, line in enumerate(lines):
        end += len(line) + 1  # the position of the break after this line
        if i == last:
            cut.append((start, text[start:]))
        elif start == end - len(line):  # the segment is this line
            joins = joined(line)
            if joins is None:
                joins = joins_next(line)
                _JOINS.put(line, joins)
            if not joins:
                cut.append((start, line))
                start = end + 1
        elif line.strip() and not joins_next(text[start:end]):  # after a tail, spaces are one
            cut.append((start, text[start:end]))
            start = end + 1
    return cut


Findings = tuple[tuple[int, Found], ...]  # a segment's: (scanner's index, found)
_JOINS: TextCache[bool] = TextCache(MAX_CACHED_CHARS // 8)  # by line
_TAILS_SEEN: TextCache[bool] = TextCache(MAX_CACHED_CHARS // 8)  # by tail
# Each segment's findings, by language and the whole text's flags (lower-cased, ASCII digits).
_FOUND: dict[tuple[str, bool, bool], TextCache[Findings]] = {}
BATCH = 64  # segments scanned at once by :func:`prescan`


def _found(language: str, lowered: bool, digits: bool) -> TextCache[Findings]:
    cache = _FOUND.get((language, lowered, digits))
    if cache is None:
        cache = _FOUND[(language, lowered, digits)] = TextCache(MAX_CACHED_CHARS // 4)
    return cache


def clear() -> None:
    """Forget every line seen (tests; the caches are bounded anyway)."""
    _FOUND.clear()
    _JOINS.clear()
    _TAILS_SEEN.clear()
    _LAST.clear()
    _CUT.clear()


def _scan(
    found_by: Sequence[Scanner], parts: list[tuple[str, str]], lowered: bool, digits: bool
) -> list[Findings]:
    """The findings of each part ``(segment, lower-cased or "")``, in the part.

    The parts (segments, each followed in its text by a break no match crosses, or last
    there and here) are scanned at once, joined by line breaks: the same findings,
    fewer calls.
    """
    starts, at = [], 0
    for part, _ in parts:
        starts.append(at)
        at += len(part) + 1
    low = "\n".join(lower for _, lower in parts) if lowered else ""
    t = Text("\n".join(part for part, _ in parts), low, digits)
    found: list[list[tuple[int, Found]]] = [[] for _ in parts]
    for i, scanner in enumerate(found_by):
        for start, end, entity, score in scanner.find(t):
            k = bisect_right(starts, start) - 1
            found[k].append((i, (start - starts[k], end - starts[k], entity, score)))
    return [tuple(f) for f in found]


def _scan_whole(found_by: Sequence[Scanner], text: str) -> tuple[list[Found], ...]:
    return tuple(scanner.find(prepare(text)) for scanner in found_by)


def _flags(text: str) -> tuple[str, bool, bool]:
    """``text`` lower-cased, whether that kept its length, whether its digits are ASCII."""
    lower = text.lower()
    return lower, len(lower) == len(text), ascii_digits(text)


def prescan(texts: Iterable[str], language: str) -> None:
    """Scan the new segments of many ``texts`` at once, :data:`BATCH` by :data:`BATCH`.

    A note's new lines are few (its date, its patient's name): scanned note by note,
    most of the time goes to calling each pattern; gathered from many notes, to
    scanning. :func:`scan_by_scanner` then finds them in the cache.
    """
    found_by = scanners(language)
    new: dict[tuple[bool, bool], dict[str, str]] = {}
    _CUT.clear()
    for text in texts:
        if not plain(text):
            continue
        lower, lowered, digits = _flags(text)
        cache, pending = _found(language, lowered, digits), new.setdefault((lowered, digits), {})
        cut = segments(text)
        _CUT[(language, text)] = (lower, lowered, digits, cut)  # for its scan, next
        for k, (offset, segment) in enumerate(cut):
            if cache.get(segment) is None and segment not in pending:
                if k == len(cut) - 1 and joins_next(segment):
                    continue  # may not be followed by another: left to its text
                pending[segment] = lower[offset : offset + len(segment)] if lowered else ""
    for (lowered, digits), pending in new.items():
        cache, parts = _found(language, lowered, digits), list(pending.items())
        for i in range(0, len(parts), BATCH):
            batch = parts[i : i + BATCH]
            scanned = _scan(found_by, batch, lowered, digits)
            for (segment, _), found in zip(batch, scanned, strict=True):
                cache.put(segment, found)


def scan_by_scanner(text: str, language: str) -> tuple[list[Found], ...]:
    """Each scanner's findings in ``text`` (one list per :func:`scanners` entry), segment by
    segment: the same as ``scanner.find(prepare(text))``.

    The last text's findings are kept too: Presidio asks each scanner in turn.
    """
    last = _LAST.get((language, text))
    if last is None:
        last = _scan_segments(text, language)
        _LAST.clear()
        _LAST[(language, text)] = last
    return last


_LAST: dict[tuple[str, str], tuple[list[Found], ...]] = {}
# The texts of the last :func:`prescan`, lower-cased, flagged and cut, until scanned.
_CUT: dict[tuple[str, str], tuple[str, bool, bool, list[tuple[int, str]]]] = {}


def _scan_segments(text: str, language: str) -> tuple[list[Found], ...]:
    found_by = scanners(language)
    prepared = _CUT.pop((language, text), None)
    if prepared is None:
        if not plain(text):
            return _scan_whole(found_by, text)
        prepared = (*_flags(text), segments(text))
    lower, lowered, digits, cut = prepared
    cache = _found(language, lowered, digits)
    known = {segment: cache.get(segment) for _, segment in cut}
    missed = {segment: offset for offset, segment in reversed(cut) if known[segment] is None}
    if missed:  # in the text's order, each at its first place (so the last one last)
        parts = [
            (s, lower[o : o + len(s)] if lowered else "")
            for o, s in sorted((o, s) for s, o in missed.items())
        ]
        scanned = _scan(found_by, parts, lowered, digits)
        for (segment, _), found in zip(parts, scanned, strict=True):
            known[segment] = found
            cache.put(segment, found)
    results: tuple[list[Found], ...] = tuple([] for _ in found_by)
    for offset, segment in cut:
        for i, (start, end, entity, score) in known[segment] or ():
            results[i].append((start + offset, end + offset, entity, score))
    return results


def scan(text: str, language: str) -> list[Found]:
    """Every scanner's findings in ``text``, in :func:`scanners` order."""
    return [f for spans in scan_by_scanner(text, language) for f in spans]
