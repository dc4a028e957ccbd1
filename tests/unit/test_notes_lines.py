"""Scanning a note segment by segment, each distinct line once, finds exactly the spans of
scanning it whole: on every note of the sample, every French snippet and generated texts;
tokens found line by line are the whole text's."""

from __future__ import annotations

import base64
import json
import re
from re import _constants as sre
from re import _parser as sre_parse
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from socle.notes import lines
from socle.notes.cache import MAX_KEY_CHARS, TextCache
from socle.notes.known import _TOKEN, Tokens
from socle.notes.patterns import LABELLED, PATTERNS, WRITTEN_DATE_GATE
from socle.notes.scanners import prepare, scanners
from tests.conftest import shared_data

SPACES = {sre.CATEGORY_SPACE, sre.CATEGORY_NOT_WORD, sre.CATEGORY_NOT_DIGIT}
SPACES |= {sre.CATEGORY_UNI_SPACE, sre.CATEGORY_UNI_NOT_WORD, sre.CATEGORY_UNI_NOT_DIGIT}


def _class_reads_newline(items: list[tuple[Any, Any]]) -> bool:
    negate = any(op is sre.NEGATE for op, _ in items)
    hit = any(
        (op is sre.LITERAL and arg == 10)
        or (op is sre.RANGE and arg[0] <= 10 <= arg[1])
        or (op is sre.CATEGORY and arg in SPACES)
        for op, arg in items
    )
    return hit != negate


def _reads_newline(parsed: Any) -> bool:
    """Whether a parsed pattern has an element (or a look-around) that reads a line break."""
    for op, arg in parsed:
        children: list[Any] = []
        if op is sre.LITERAL:
            if arg == 10:
                return True
        elif op is sre.NOT_LITERAL:
            if arg != 10:
                return True
        elif op is sre.IN:
            if _class_reads_newline(arg):
                return True
        elif op is sre.SUBPATTERN:
            children = [arg[3]]
        elif op is sre.BRANCH:
            children = arg[1]
        elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
            children = [arg[2]]
        elif op in (sre.ASSERT, sre.ASSERT_NOT):
            children = [arg[1]]
        elif op is sre.ATOMIC_GROUP:
            children = [arg]
        else:
            assert op in (sre.AT, sre.GROUPREF, sre.ANY), f"unexpected {op}"  # ANY: no DOTALL
        if any(_reads_newline(child) for child in children):
            return True
    return False


def _all_patterns() -> dict[str, str]:
    named = {name: rx for patterns in PATTERNS.values() for name, rx, _ in patterns}
    named |= {name: rx for patterns in LABELLED.values() for name, rx, _ in patterns}
    return named


def _whole(text: str, language: str) -> tuple[list[Any], ...]:
    """Each scanner's spans in the whole text (sorted: a scanner lists them pattern by
    pattern, segments segment by segment; every consumer settles them as a set)."""
    return tuple(sorted(scanner.find(prepare(text))) for scanner in scanners(language))


def _by_segments(text: str, language: str) -> tuple[list[Any], ...]:
    return tuple(sorted(spans) for spans in lines.scan_by_scanner(text, language))


def _same(text: str, language: str) -> None:
    lines.clear()
    first = _by_segments(text + " ", language)  # not the last text's memo
    assert first == _whole(text + " ", language)
    assert _by_segments(text, language) == _whole(text, language)  # from the cache


def test_every_pattern_that_reads_a_line_break_has_a_tail() -> None:
    crossing = {
        name
        for name, rx in _all_patterns().items()
        if _reads_newline(sre_parse.parse(rx, re.IGNORECASE))
    }
    assert crossing == lines.COVERED
    assert _reads_newline(sre_parse.parse(WRITTEN_DATE_GATE, re.IGNORECASE))  # a gate: exact
    assert not _reads_newline(sre_parse.parse(r"\b\d{7,}\b[^\W\d_]", re.IGNORECASE))


def _sample_texts() -> list[str]:
    texts = []
    for path in sorted(shared_data("synthea-fhir-r4").glob("*.json")):
        for entry in orjson.loads(path.read_bytes())["entry"]:
            r = entry["resource"]
            attachments = [c["attachment"] for c in r.get("content", [])]
            attachments += r.get("presentedForm", [])
            texts += [base64.b64decode(a["data"]).decode() for a in attachments if "data" in a]
    return texts


SPLIT = (
    "\n\nSigned: Dr.\nAli Kim, 12 Main\nStreet,\n(555)\n123-4567, 4\nMay 2020, Mrs\n\nJo "
    "Lee, seen\nMonday,\n5 June 2021, 75012\n, Paris, rue\nde la\nPaix, SSN\n: 123-45-6789"
)


def test_every_sample_note_is_scanned_to_the_same_spans() -> None:
    texts = _sample_texts()
    assert len(texts) > 3000
    lines.clear()
    for text in texts + [t + SPLIT for t in texts[:300]]:
        assert _by_segments(text, "en") == _whole(text, "en")
    kept = sum(cache.chars for cache in lines._FOUND.values())
    assert kept < sum(map(len, texts)) / 4  # templated: most lines repeat


def test_notes_scanned_many_at_once_give_the_same_spans() -> None:
    texts = _sample_texts()[:600]
    texts += [t + SPLIT for t in texts[:100]] + [t + "\nDr." for t in texts[:20]]
    lines.clear()
    lines.prescan(texts, "en")
    for text in texts:
        assert _by_segments(text, "en") == _whole(text, "en")


def _snippets() -> list[str]:
    folder = shared_data("fr-deid-snippets")
    return [
        json.loads(line)["note_text"]
        for path in sorted(folder.glob("*.jsonl"))
        for line in path.read_text().splitlines()
    ]


def test_every_french_snippet_is_scanned_to_the_same_spans() -> None:
    snippets = _snippets()
    assert len(snippets) == 254
    for text in snippets:
        assert _by_segments(text, "fr") == _whole(text, "fr")


def test_tokens_of_every_note_are_the_whole_texts() -> None:
    """Known terms match on tokens: tokenised line by line, they are the whole text's."""
    for text in [*_sample_texts(), *_snippets(), SPLIT, "ΑΣ\nİstanbul ÉTÉ\n\n"]:
        tokens = Tokens(text)
        whole = list(_TOKEN.finditer(text))
        assert tokens.words == [m.group().casefold() for m in whole]
        assert [(tokens.start(j), tokens.end(j)) for j in range(len(whole))] == [
            m.span() for m in whole
        ]


def test_an_identifier_split_across_lines_is_still_found_whole() -> None:
    found = lines.scan("Seen by Dr.\nAli today, call (555)\n123-4567.", "en")
    spans = {(s, e, entity) for s, e, entity, _ in found}
    assert (12, 15, "PERSON") in spans  # "Ali", after the title on the line before
    assert (28, 42, "PHONE") in spans


# For each tail, a text where a match runs across the line break after it.
ACROSS = {
    "digit": ("tél. 01 23\n45 67 89", "fr"),
    "bracket": ("call (555)\n123-4567 now", "en"),
    "corsica": ("vit au 2A\n004 Ajaccio", "fr"),
    "zip_comma": ("code 75012 ,\nParis", "fr"),
    "bis_ter": ("au 12 bis ,\nrue de la Paix", "fr"),
    "weekday": ("vu le Monday,\n5 June 2021", "en"),
    "month": ("seen 4 May\n2020 again", "en"),
    "street": ("habite 12 rue de la\nPaix", "fr"),
    "en_street": ("lives at 12 Main\nStreet", "en"),
    "apartment": ("12 Main Street apt\n4B", "en"),
    "hospital": ("admis à l'hôpital\nSaint Louis", "fr"),
    "title": ("seen by Dr.\nAli", "en"),
    "name_field": ("Nom de\nnaissance : Durand", "fr"),
    "number_label": ("IPP :\nA1234", "fr"),
}


def test_each_tail_keeps_a_match_across_the_line_break_after_it() -> None:
    assert set(ACROSS) == set(lines.TAILS)
    for text, language in ACROSS.values():
        _same(text, language)
        first, second = text.split("\n")
        cut = [
            [*a, *[(s + len(first) + 1, e + len(first) + 1, x, y) for s, e, x, y in b]]
            for a, b in zip(_whole(first, language), _whole(second, language), strict=True)
        ]
        assert [sorted(c) for c in cut] != list(_whole(text, language)), text  # a real crossing


# Pieces of identifiers and of their contexts, joined by spaces, commas and line breaks.
PIECES = [
    *("Dr.", "Mme", "Monsieur", "M.", "Ali", "KIM", "Jo", "de", "la", "l'", "nom", "Nom :"),
    *("prénom", "né", "IPP", "n°", "numéro", "dossier", ":", "#", "=", "A12-345", "SSN"),
    *("12", "3", "1er", "2A", "2a 004", "75012", "02-1234", "+33", "0", "06", "12.34"),
    *("(555)", "123-4567", "555", "1 85 02", "2020-01-02", "4/5/2020", "0 3 0 6 2 0 7 9"),
    *("May", "mai", "Jan.", "juin", "lundi", "Monday,", "2021", "rue", "avenue", "bis"),
    *("Main", "Street", "St.", "apt", "4B", "hôpital", "Hospital", "CHU", "centre"),
    *("hospitalier", "of", "the", "Saint", "Paris", "à", "Brest", "Sin-Le-Noble"),
    *("l'Brt", "x@y.fr", "www.a.fr", "Adrianne466", "patient", ".", ",", "(", ")", "é"),
]
SEPARATORS = [" ", "\n", " \n", "\n\n", ", ", ",\n", "\n ", "\t", " , ", "-", "", ".\n", "\r\n"]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(st.sampled_from(PIECES), st.sampled_from(SEPARATORS)), max_size=40),
    st.sampled_from(["en", "fr"]),
)
def test_generated_texts_are_scanned_to_the_same_spans(
    parts: list[tuple[str, str]], language: str
) -> None:
    _same("".join(piece + sep for piece, sep in parts), language)


def test_a_text_with_other_spaces_or_folding_letters_is_scanned_whole() -> None:
    for text in ("Dr.\u00a0\nAli", "Mıss\nJo Lee", "Dr.\x1c\nAli"):
        assert not lines.plain(text)
        _same(text, "en")
    assert lines.plain("Dr.\nAli, rue de la Paix, 75012 Paris")


def test_the_cache_is_bounded_by_characters() -> None:
    cache: TextCache[int] = TextCache(100)
    for i in range(50):
        cache.put(f"line {i:05d}", i)  # 10 characters each
    assert cache.chars <= 100
    assert len(cache.values) == 10
    assert cache.get("line 00049") == 49
    assert cache.get("line 00000") is None  # the oldest went first
    cache.put("x" * (MAX_KEY_CHARS + 1), 1)  # too long to keep
    assert cache.chars <= 100
