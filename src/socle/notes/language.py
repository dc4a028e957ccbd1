"""Which language a note is written in: French, English, or unknown (then it is quarantined).

A note's attachment may declare its language; otherwise the most frequent
function words decide. A note with too few of them (a list of codes, another
language) is *unknown*: the named-entity model for its language cannot be
chosen, so it is not loaded.
"""

from __future__ import annotations

import re
from collections import Counter

from socle.notes.cache import TextCache

SUPPORTED = ("en", "fr")
_WORD = re.compile(r"[a-zàâçéèêëîïôûùüÿœæ']+")
_STOPWORDS = {
    "en": frozenset(
        "the a an and of is was with has have for to in on at by patient patients no not "
        "this that from are were who his her he she as or be been had".split()
    ),
    "fr": frozenset(
        "le la les un une des et de du est a au aux pour dans sur par avec pas ne il elle "
        "patient patiente qui que en été son sa ses ce cette ou mais chez lui".split()
    ),
}
MIN_HITS = 2  # function words needed to decide
HEAD_CHARS = 5000  # the part of a note read
# Function words of each distinct line, counted once (in memory only: notes are templated).
LINES: TextCache[tuple[int, ...]] = TextCache(1_000_000)


def detect(text: str, declared: str | None = None) -> str | None:
    """``"en"``, ``"fr"``, or ``None`` when neither can be told apart with confidence."""
    if declared in SUPPORTED:
        return declared
    if declared:
        return None  # declared, but a language we have no model for
    hits = dict.fromkeys(_STOPWORDS, 0)
    for line in text[:HEAD_CHARS].split("\n"):  # a word never spans a line break
        counted = LINES.get(("", line))
        if counted is None:
            counts = Counter(_WORD.findall(line.lower()))
            counted = tuple(sum(counts[w] for w in stop) for stop in _STOPWORDS.values())
            LINES.put(("", line), counted)
        for lang, n in zip(_STOPWORDS, counted, strict=True):
            hits[lang] += n
    best = max(hits, key=lambda lang: hits[lang])
    other = min(hits.values())
    if hits[best] < MIN_HITS or hits[best] < 1.5 * other:
        return None
    return best
