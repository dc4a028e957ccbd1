"""eds-pseudo's 254 labelled French snippets: what the issue's goal holds de-identification to."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from socle.notes import find
from tests.conftest import shared_data

pytestmark = pytest.mark.usefixtures("deid_engine")
MUST_ALL_GO = {"NOM", "PRENOM", "TEL", "MAIL", "SECU", "IPP", "NDA"}


def _covered(start: int, end: int, text: str, removed: list[tuple[int, int, str]]) -> bool:
    """Every letter and digit of the span lies inside a removed span."""
    return all(
        any(s <= i < e for s, e, _ in removed) for i in range(start, end) if text[i].isalnum()
    )


def test_every_name_phone_and_e_mail_of_the_french_snippets_is_removed() -> None:
    missed: list[str] = []
    found: Counter[bool] = Counter()
    for path in sorted(shared_data("fr-deid-snippets").glob("*.jsonl")):
        for line in path.read_text("utf-8").splitlines():
            snippet = json.loads(line)
            text = snippet["note_text"]
            removed = find(text, "fr")
            for gold in snippet["entities"]:
                covered = _covered(gold["start"], gold["end"], text, removed)
                found[covered] += 1
                if gold["label"] in MUST_ALL_GO and not covered:
                    missed.append(f"{path.name} {snippet['note_id']}: {gold['label']}")
    assert not missed, missed  # the note and label, not the value
    assert found[True] / sum(found.values()) >= 0.95
