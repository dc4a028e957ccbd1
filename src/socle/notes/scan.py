"""Notes in a language without an NER model (English), scanned without Presidio's analyzer.

For such a language every recogniser is Socle's own: the pattern scanners
(:mod:`socle.notes.scanners`) and the known terms of the vault and the directory
(:mod:`socle.notes.known`). Presidio's ``AnalyzerEngine`` would only run them and
settle their results; importing it costs about 1.2 s of CPU per process (it
imports spaCy and compiles its predefined recognisers), more than
de-identifying a thousand notes. So here the same recognisers run directly and
their results are settled by the analyzer's own rules, reproduced in
:func:`settle`: exact duplicates dropped, a result inside a kept result of the
same type (ranked by score, then start, then length) dropped, low scores and
allow-listed words dropped. The spans are the analyzer's: checked on every
Synthea note of the sample (``tests/unit/test_notes_scan.py`` compares both on
notes of the sample). The scanners run segment by segment, each distinct line
scanned once (:mod:`socle.notes.lines`: the same spans as on the whole text).
Replacement is Presidio's anonymizer in every language.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple

from socle.notes.known import KnownTerms, find_known
from socle.notes.lines import scan


class Found(NamedTuple):
    """A span found, shaped like Presidio's ``RecognizerResult`` where it is read."""

    entity_type: str
    start: int
    end: int
    score: float


def analyze(
    text: str,
    language: str,
    known: Sequence[KnownTerms],
    *,
    score_threshold: float,
    allow_list: Iterable[str],
) -> list[Found]:
    """What Presidio's analyzer returns for ``text`` with the pattern and known-term
    recognisers of ``language`` and no NLP artifacts."""
    results = [
        Found(entity, start, end, score) for start, end, entity, score in scan(text, language)
    ]
    if known:
        results += [Found(label, s, e, 1.0) for s, e, label in find_known(known, text)]
    allowed = frozenset(allow_list)
    return [
        r
        for r in settle(results)
        if r.score >= score_threshold and text[r.start : r.end] not in allowed
    ]


def settle(results: list[Found]) -> list[Found]:
    """Presidio's ``EntityRecognizer.remove_duplicates``: by score, start and length, keep
    a result unless it lies inside a kept one of the same type (zero scores dropped)."""
    kept: list[Found] = []
    for r in sorted(set(results), key=lambda x: (-x.score, x.start, -(x.end - x.start))):
        if r.score == 0:
            continue
        if not any(
            r.entity_type == k.entity_type and r.start >= k.start and r.end <= k.end for k in kept
        ):
            kept.append(r)
    return kept
