"""Which language a note is written in: French, English, or unknown (then it is quarantined).

A note's attachment may declare its language; otherwise the most frequent
function words decide. A note with too few of them (a list of codes, another
language) is *unknown*: the named-entity model for its language cannot be
chosen, so it is not loaded.
"""

from __future__ import annotations

import re

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


def detect(text: str, declared: str | None = None) -> str | None:
    """``"en"``, ``"fr"``, or ``None`` when neither can be told apart with confidence."""
    if declared in SUPPORTED:
        return declared
    if declared:
        return None  # declared, but a language we have no model for
    words = _WORD.findall(text[:5000].lower())
    hits = {lang: sum(map(stop.__contains__, words)) for lang, stop in _STOPWORDS.items()}
    best = max(hits, key=lambda lang: hits[lang])
    other = min(hits.values())
    if hits[best] < MIN_HITS or hits[best] < 1.5 * other:
        return None
    return best
