"""Socle's own finders as Presidio recognisers, for the analyzer of languages with NER."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from presidio_analyzer import EntityRecognizer

Finder = Callable[[str], Iterable[tuple[int, int, str, float]]]


def finder_recognizer(
    find: Finder, *, name: str, entities: list[str], language: str
) -> EntityRecognizer:
    """A recogniser whose results are ``find(text)``'s ``(start, end, entity, score)``; it
    needs no NLP artifacts and returns every entity it finds (``entities`` is what it declares)."""
    recognizer: EntityRecognizer = _recognizer_class()(find, name, entities, language)
    return recognizer


@lru_cache(maxsize=1)
def _recognizer_class() -> Any:
    from presidio_analyzer import EntityRecognizer, RecognizerResult
    from presidio_analyzer.nlp_engine import NlpArtifacts

    class FinderRecognizer(EntityRecognizer):
        def __init__(self, find: Finder, name: str, entities: list[str], language: str) -> None:
            self.find = find
            super().__init__(
                supported_entities=entities, name=name, supported_language=language, context=[]
            )

        def load(self) -> None:
            """Nothing to load: the finder is given."""

        def analyze(
            self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
        ) -> list[RecognizerResult]:
            return [RecognizerResult(e, s, end, score) for s, end, e, score in self.find(text)]

    return FinderRecognizer
