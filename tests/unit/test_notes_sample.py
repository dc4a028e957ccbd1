"""On the 50-patient Synthea sample: every note de-identified, no vault value in any note_text."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from socle.config import Settings
from socle.ingest import LoadSummary
from socle.node import Node
from tests.conftest import SAMPLE

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("deid_engine")]
_SUFFIX = re.compile(r"\d+$")


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Node, LoadSummary]]:
    node = Node.open(Settings(home=tmp_path_factory.mktemp("notes") / "home"))
    summary = node.load(SAMPLE, actor="test")
    yield node, summary
    node.close()


def _flexible(value: str) -> re.Pattern[str]:
    chars = [re.escape(c) for c in value if c.isalnum()]
    return re.compile(r"(?<![0-9a-z])" + r"[\s.\-/()]*".join(chars) + r"(?![0-9a-z])", re.I)


def _vault_values(identity: dict[str, Any]) -> tuple[set[str], set[str]]:
    """Words (names, places) and codes (phones, identifiers, birth date) the vault holds."""
    words: set[str] = set()
    names = list(identity.get("name", []))
    names += [c["name"] for c in identity.get("contact", []) if "name" in c]
    for name in names:
        for part in [*name.get("given", []), name.get("family", "")]:
            words |= {part, _SUFFIX.sub("", part)}
    codes = {identity["source_id"], identity["birthDate"]}
    for address in identity.get("address", []):
        words |= {*address.get("line", []), address.get("city", "")}
        codes.add(address.get("postalCode", ""))
    codes |= {t["value"] for t in identity.get("telecom", [])}
    codes |= {i["value"] for i in identity.get("identifier", [])}
    year, month, day = identity["birthDate"][:10].split("-")
    codes.add(f"{month}/{day}/{year}")
    return {w for w in words if len(w) > 1}, {c for c in codes if len(c) >= 4}


def test_every_synthea_note_is_loaded_once_de_identified(sample: tuple[Node, LoadSummary]) -> None:
    node, summary = sample
    documents = summary.read["DocumentReference"]
    assert documents > 1000 and summary.loaded["DocumentReference"] == documents
    assert summary.quarantined["DocumentReference"] == 0 and summary.reconciles()
    # Synthea repeats each note in a DiagnosticReport: that copy is skipped, not stored twice.
    assert summary.loaded["DiagnosticReport"] == 0
    [(notes, texts, persons)] = node.warehouse.aggregate(
        "SELECT count(*), count(note_text), count(DISTINCT person_id) FROM note"
    )
    assert notes == texts == documents and persons == summary.persons


def test_no_vault_value_occurs_in_any_note_text(sample: tuple[Node, LoadSummary]) -> None:
    node, _ = sample
    rows = node.warehouse.aggregate(
        "SELECT p.person_source_value, n.note_text FROM note n JOIN person p USING (person_id)"
    )
    identities: dict[str, tuple[set[str], set[str]]] = {}
    leaks: list[tuple[str, str]] = []
    for token, text in rows:
        if token not in identities:
            identities[token] = _vault_values(node.vault.get(token))
        words, codes = identities[token]
        lower = text.lower()
        leaks += [(token, w) for w in words if re.search(rf"\b{re.escape(w.lower())}\b", lower)]
        leaks += [(token, c) for c in codes if _flexible(c).search(text)]
    assert len(rows) > 1000 and len(identities) == 50
    assert leaks == []


def test_dates_in_the_text_move_with_the_structured_dates(sample: tuple[Node, LoadSummary]) -> None:
    """Synthea's notes open with their date: after shifting it is the note row's date."""
    node, _ = sample
    rows = node.warehouse.aggregate("SELECT note_date, note_text FROM note")
    opening = [re.match(r"\s*(\d{4}-\d{2}-\d{2})", text) for _, text in rows]
    assert all(opening)
    assert all(str(day) == m.group(1) for (day, _), m in zip(rows, opening, strict=True) if m)


def test_note_nlp_shows_what_was_removed_without_values(sample: tuple[Node, LoadSummary]) -> None:
    node, _ = sample
    rows = node.warehouse.aggregate(
        "SELECT split_part(term_modifiers, ';', 1), count(*), count(snippet) FROM note_nlp GROUP BY 1"
    )
    counts = {kind: n for kind, n, snippets in rows if snippets == 0}
    assert len(counts) == len(rows)
    assert counts["deid=PATIENT"] > 1000 and counts["deid=DATE"] > 1000


def test_clinical_terms_of_the_notes_survive(sample: tuple[Node, LoadSummary]) -> None:
    node, _ = sample
    [(with_history, total)] = node.warehouse.aggregate(
        "SELECT count(*) FILTER (WHERE note_text LIKE '%medication review due (situation)%'), "
        "count(*) FROM note"
    )
    assert with_history > total / 4


def test_sample_notes_reload_idempotently(sample: tuple[Node, LoadSummary], tmp_path: Path) -> None:
    node, _ = sample
    before = node.warehouse.aggregate("SELECT count(*), sum(hash(note_text)) FROM note")
    nlp = node.warehouse.aggregate("SELECT count(*) FROM note_nlp")
    node.load(SAMPLE, actor="test")
    assert node.warehouse.aggregate("SELECT count(*), sum(hash(note_text)) FROM note") == before
    assert node.warehouse.aggregate("SELECT count(*) FROM note_nlp") == nlp
