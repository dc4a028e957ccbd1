"""Known values found exactly, in any case or spacing: the vault's and the directory's terms.

Two matchers share one Presidio recogniser:

- *phrases* (names, street lines, cities, organisations) are compared token by
  token after case folding, with letters and digits split apart, so
  ``Adrianne466``, ``ADRIANNE 466`` and ``adrianne\\n466`` all match the vault's
  ``Adrianne466``, and Synthea's digit suffix is also dropped to match the bare
  ``Adrianne``; the longest phrase starting at a token wins;
- *codes* (phones, identifiers, e-mails, zip codes) match character by character
  with any separators between them (``555-123-4567`` = ``(555) 123 4567``).

Matching is linear in the text's tokens for phrases, whatever the number of
known names (a load's directory has thousands), so one recogniser per load is cheap.
Each distinct line is tokenised once (:class:`Tokens`): notes are templated.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Container, Iterator, Sequence
from itertools import compress, count
from typing import TYPE_CHECKING

from socle.notes.cache import TextCache

if TYPE_CHECKING:
    from presidio_analyzer import EntityRecognizer

_TOKEN = re.compile(r"[^\W\d_]+|\d+")
_SUFFIX = re.compile(r"(?<=[^\W\d_])\d+$")
_SEPARATORS = re.compile(r"[\s.\-/()_+:]*")
Span = tuple[int, int, str]
LABELS: tuple[str, ...] = (
    "PATIENT",
    "PERSON",
    "PRACTITIONER",
    "ORGANIZATION",
    "LOCATION",
    "ADDRESS",
    "ZIP",
)
LABELS += ("PHONE", "EMAIL", "URL", "ID", "DATE")
MIN_CODE_CHARS = 4  # shorter codes would match everywhere


def tokens(text: str) -> list[str]:
    return [t.casefold() for t in _TOKEN.findall(text)]


def without_suffix(name: str) -> str:
    """``Adrianne466`` → ``Adrianne``: Synthea appends digits to every name it invents."""
    return " ".join(_SUFFIX.sub("", part) for part in name.split())


class KnownTerms:
    """Phrases and codes by label, compiled for matching."""

    def __init__(self) -> None:
        self._phrases: dict[str, list[tuple[tuple[str, ...], str]]] = defaultdict(list)
        self._codes: dict[str, str] = {}  # letters and digits only, case-folded → label
        self._prefixes: set[str] = set()
        self._starts: set[str] = set()  # every prefix of a code, and the code

    def add_phrase(self, label: str, phrase: str, *, bare: bool = True) -> None:
        """Add a name or place; with ``bare``, its digit-less form too."""
        for variant in {phrase, without_suffix(phrase)} if bare else {phrase}:
            words = tuple(tokens(variant))
            if words and any(len(w) > 1 for w in words):
                self._phrases[words[0]].append((words, label))

    def add_code(self, label: str, code: str) -> None:
        key = "".join(tokens(code))
        if len(key) >= MIN_CODE_CHARS:
            self._codes[key] = label
            self._prefixes.update(key[:n] for n in range(1, len(key)))
            self._starts.update(key[:n] for n in range(1, len(key) + 1))

    def __bool__(self) -> bool:
        return bool(self._phrases or self._codes)

    def find(self, text: str, tokens: Tokens | None = None) -> Iterator[Span]:
        """``(start, end, label)`` of every known phrase and code in ``text`` (whose
        :class:`Tokens` may be given)."""
        tokens = Tokens(text) if tokens is None else tokens
        yield from self._find_phrases(tokens)
        if self._codes:
            yield from self._find_codes(tokens)

    def _find_phrases(self, tokens: Tokens) -> Iterator[Span]:
        phrases, words = self._phrases, tokens.words
        free = 0  # the first token not inside a phrase already found
        for i in _where(words, phrases):  # tokens a phrase starts with
            if i < free:
                continue
            best: tuple[int, str] | None = None
            for phrase, label in phrases[words[i]]:
                n = len(phrase)
                if tuple(words[i : i + n]) == phrase and (best is None or n > best[0]):
                    best = (n, label)
            if best:
                yield tokens.start(i), tokens.end(i + best[0] - 1), best[1]
                free = i + best[0]

    def _find_codes(self, tokens: Tokens) -> Iterator[Span]:
        """Codes spelt across consecutive tokens joined by separators only."""
        starts, words, text = self._starts, tokens.words, tokens.text
        free = 0
        for i in _where(words, starts):  # tokens a code starts with
            if i < free:
                continue
            joined, end = "", None
            for j in range(i, len(words)):
                if j > i and not _SEPARATORS.fullmatch(text, tokens.end(j - 1), tokens.start(j)):
                    break
                joined += words[j]
                if joined in self._codes:
                    end, label = j, self._codes[joined]
                if joined not in self._prefixes:
                    break
            if end is not None:
                yield tokens.start(i), tokens.end(end), label
                free = end + 1


def _where(words: list[str], keys: Container[str]) -> Iterator[int]:
    """The indices of ``words`` that are ``keys`` (in C: a note has hundreds of words)."""
    return compress(count(), map(keys.__contains__, words))


class Tokens:
    """A text's tokens (:data:`_TOKEN`): ``words`` case-folded, and where each stands.

    A token never spans a line break, so each distinct line is tokenised once
    (:data:`LINES`, in memory only) and its tokens placed where the line stands:
    the same tokens as the whole text's.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        words: list[str] = []
        starts: list[int] = []  # in the token's line
        ends: list[int] = []
        lines: list[int] = []  # where the token's line starts
        known, offset = LINES.get, 0
        for line in text.split("\n"):
            tokenised = known(line)
            if tokenised is None:
                found = list(_TOKEN.finditer(line))
                tokenised = (
                    [m.group().casefold() for m in found],
                    [m.start() for m in found],
                    [m.end() for m in found],
                )
                LINES.put(line, tokenised)
            if tokenised[0]:
                words += tokenised[0]
                starts += tokenised[1]
                ends += tokenised[2]
                lines += [offset] * len(tokenised[0])
            offset += len(line) + 1
        self.words, self._starts, self._ends, self._lines = words, starts, ends, lines

    def start(self, j: int) -> int:
        return self._lines[j] + self._starts[j]

    def end(self, j: int) -> int:
        return self._lines[j] + self._ends[j]


LINES: TextCache[tuple[list[str], list[int], list[int]]] = TextCache(2_000_000)


def find_known(terms: Sequence[KnownTerms], text: str) -> Iterator[Span]:
    """``(start, end, label)`` of every term of every set in ``text`` (tokenised once)."""
    terms = [t for t in terms if t]  # an empty set (a load without a directory) finds nothing
    if terms:
        tokens = Tokens(text)
        for t in terms:
            yield from t.find(text, tokens)


def known_terms_recognizer(terms: Sequence[KnownTerms], language: str) -> EntityRecognizer:
    """A Presidio recogniser for ``terms``: certain, so scored 1.0."""
    from socle.notes.recognizer import finder_recognizer

    def find(text: str) -> Iterator[tuple[int, int, str, float]]:
        return ((s, e, label, 1.0) for s, e, label in find_known(terms, text))

    return finder_recognizer(
        find, name="socle_known_terms", entities=list(LABELS), language=language
    )
