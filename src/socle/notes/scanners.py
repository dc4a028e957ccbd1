"""Pattern scanners: Socle's patterns (:mod:`socle.notes.patterns`) compiled and searched.

Scanners are plain objects (no Presidio import): English notes run them
directly (:mod:`socle.notes.scan`), French notes through Presidio's analyzer,
each scanner wrapped as a Presidio recogniser (:func:`pattern_recognizers`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import TYPE_CHECKING, Any, NamedTuple

from socle.notes.patterns import (
    FIRST,
    LABELLED,
    LITERALS,
    PATTERNS,
    WRITTEN_DATE_GATE,
    WRITTEN_DATES,
)

if TYPE_CHECKING:
    from presidio_analyzer import EntityRecognizer

_OTHER_DIGIT = re.compile(r"(?![0-9])\d")


def ascii_digits(text: str) -> bool:
    """Every digit of ``text`` is one of 0-9 (so :data:`FIRST` look-aheads are exact)."""
    return text.isascii() or not _OTHER_DIGIT.search(text)


# A value announced by a word that stays (the title, the kind of number): group 1 is removed.


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
    """Presidio recognisers over :func:`scanners` (for the analyzer of languages with NER), each
    run segment by segment (:mod:`socle.notes.lines`)."""
    from socle.notes.recognizer import finder_recognizer

    def found_by(index: int) -> Callable[[str], list[Found]]:
        def find(text: str) -> list[Found]:
            from socle.notes.lines import scan_by_scanner

            return scan_by_scanner(text, language)[index]

        return find

    return [
        finder_recognizer(found_by(i), name=s.name, entities=[s.entity], language=language)
        for i, s in enumerate(scanners(language))
    ]
