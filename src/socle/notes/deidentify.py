"""One note de-identified: Presidio finds the identifiers, typed surrogates replace them.

The caller gives what is known about the note's patient and the load's
directory (:class:`~socle.notes.known.KnownTerms`) and the patient's date
offset; the result is the text to store and, for ``note_nlp``, the type and
place of each surrogate in that text — never the value it replaced.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from socle.notes import scan
from socle.notes.engine import ALLOW, analyzer, anonymizer, anonymizer_module
from socle.notes.known import KnownTerms, known_terms_recognizer
from socle.notes.scan import Found
from socle.notes.surrogates import date_surrogate, surrogate

if TYPE_CHECKING:
    from presidio_analyzer import RecognizerResult
    from presidio_anonymizer.entities import OperatorConfig

SCORE_THRESHOLD = 0.5
# Presidio's NER labels → ours (the patient's own name is found by the vault, not NER).
_LABELS = {"DATE_TIME": "DATE", "PHONE_NUMBER": "PHONE", "EMAIL_ADDRESS": "EMAIL"}


@dataclass(frozen=True)
class Entity:
    """A surrogate in the stored text: its type and its place (``start``..``end``)."""

    label: str
    start: int
    end: int


@dataclass(frozen=True)
class Deidentified:
    text: str
    entities: tuple[Entity, ...]
    language: str


def _operators(language: str, shift_days: int, labels: set[str]) -> dict[str, OperatorConfig]:
    operators = {label: _replace(label) for label in labels}
    operators["DATE"] = _shift(language, shift_days)
    return operators


@lru_cache(maxsize=64)
def _replace(label: str) -> OperatorConfig:
    """The operator replacing ``label`` by its surrogate (built once: Presidio never
    changes an operator's configuration)."""
    config: OperatorConfig = anonymizer_module().OperatorConfig(
        "replace", {"new_value": surrogate(_LABELS.get(label, label))}
    )
    return config


@lru_cache(maxsize=1024)
def _shift(language: str, shift_days: int) -> OperatorConfig:
    """The operator moving dates back by ``shift_days`` (one per patient's offset)."""
    config: OperatorConfig = anonymizer_module().OperatorConfig(
        "custom", {"lambda": lambda found: date_surrogate(found, language, shift_days)}
    )
    return config


# Languages with an NER model go through Presidio's analyzer; the others are scanned by the
# same pattern and known-term recognisers without it (``scan``: no spaCy, no analyzer import).
NER_LANGUAGES = frozenset({"fr"})


def analyze(text: str, language: str, known: Sequence[KnownTerms] = ()) -> list[Found]:
    """Presidio's findings in ``text``: patterns, NER (French) and the known terms."""
    if language not in NER_LANGUAGES:
        return scan.analyze(
            text, language, known, score_threshold=SCORE_THRESHOLD, allow_list=ALLOW
        )
    ad_hoc = [known_terms_recognizer(known, language)] if known else []
    results: list[RecognizerResult] = analyzer().analyze(
        text,
        language,
        ad_hoc_recognizers=ad_hoc,
        score_threshold=SCORE_THRESHOLD,
        allow_list=ALLOW,
    )
    return [Found(r.entity_type, r.start, r.end, r.score) for r in results]


def find(text: str, language: str, known: Sequence[KnownTerms] = ()) -> list[tuple[int, int, str]]:
    """``(start, end, label)`` of every identifier found in ``text`` (for measuring recall)."""
    return [
        (r.start, r.end, _LABELS.get(r.entity_type, r.entity_type))
        for r in analyze(text, language, known)
    ]


def deidentify(
    text: str, language: str, *, known: Sequence[KnownTerms] = (), shift_days: int
) -> Deidentified:
    """``text`` with every identifier found replaced by its surrogate (dates shifted)."""
    results = analyze(text, language, known)
    if not results:
        return Deidentified(text, (), language)
    Span = anonymizer_module().RecognizerResult
    labels = {r.entity_type for r in results}
    engine_result = anonymizer().anonymize(
        text=text,
        # In a fixed order: the anonymizer settles ties between overlapping spans by it.
        analyzer_results=[
            Span(r.entity_type, r.start, r.end, r.score)
            for r in sorted(results, key=lambda r: (r.start, r.end, r.entity_type))
        ],
        operators=_operators(language, shift_days, labels),
    )
    entities = sorted(
        (
            Entity(_LABELS.get(i.entity_type, i.entity_type), i.start, i.end)
            for i in engine_result.items
        ),
        key=lambda e: e.start,
    )
    return Deidentified(engine_result.text, tuple(entities), language)
