"""The pages' languages: chosen from the browser unless the visitor switched, every word in both."""

from __future__ import annotations

from datetime import date

from socle.web.i18n import Translator, negotiate
from socle.web.messages import EN, FR


def test_french_and_english_have_the_same_words() -> None:
    assert set(EN) == set(FR)
    assert all(FR[k].strip() for k in FR)


def test_browser_preference_picks_the_best_spoken_language() -> None:
    assert negotiate("fr-FR,fr;q=0.9,en;q=0.8", None) == "fr"
    assert negotiate("de-DE, en;q=0.5, fr;q=0.7", None) == "fr"
    assert negotiate("de, es", None) == "en"  # none spoken: English
    assert negotiate("", None) == "en"


def test_explicit_choice_wins_over_the_browser() -> None:
    assert negotiate("fr-FR", "en") == "en"
    assert negotiate("en", "xx") == "en"


def test_numbers_and_dates_follow_the_language() -> None:
    fr, en = Translator("fr"), Translator("en")
    assert fr.number(12345.5, 1) == "12\u202f345,5" and en.number(12345.5, 1) == "12,345.5"
    assert fr.date(date(2026, 11, 23)) == "23/11/2026" and en.date("2026-11-23") == "2026-11-23"
    assert en.number(None) == "hidden (fewer than 10)"
