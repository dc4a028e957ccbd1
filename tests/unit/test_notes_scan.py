"""English notes are scanned without Presidio's analyzer: the same spans, without its import."""

from __future__ import annotations

import base64
import gzip
import subprocess
import sys
from pathlib import Path

import orjson

from socle.notes import Directory, patient_terms
from socle.notes.deidentify import SCORE_THRESHOLD
from socle.notes.engine import ALLOW
from socle.notes.known import known_terms_recognizer

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"


def _notes(bundles: int) -> list[tuple[str, dict[str, object]]]:
    """(text, patient) of every DocumentReference of the first ``bundles`` sample bundles."""
    notes = []
    for path in sorted(SAMPLE.glob("*.json.gz"))[:bundles]:
        entries = [e["resource"] for e in orjson.loads(gzip.decompress(path.read_bytes()))["entry"]]
        patient = next(r for r in entries if r["resourceType"] == "Patient")
        for r in entries:
            if r["resourceType"] == "DocumentReference":
                data = r["content"][0]["attachment"]["data"]
                notes.append((base64.b64decode(data).decode(), patient))
    return notes


def test_english_scan_finds_exactly_what_presidios_analyzer_finds(deid_engine: object) -> None:
    from socle.notes import analyzer, scan

    directory = Directory()
    directory.add({"resourceType": "Practitioner", "name": [{"given": ["Ali"], "family": "Kim"}]})
    extra = "\nSigned: Dr. Ali Kim, 12 Main Street, (555) 123-4567, ali.kim@example.org"
    notes = _notes(4)
    assert len(notes) > 50
    for text, patient in notes:
        signed = text + extra
        known = (patient_terms({**patient, "source_id": patient["id"]}), directory.terms)
        presidio = analyzer().analyze(
            signed,
            "en",
            ad_hoc_recognizers=[known_terms_recognizer(known, "en")],
            score_threshold=SCORE_THRESHOLD,
            allow_list=ALLOW,
        )
        ours = scan.analyze(signed, "en", known, score_threshold=SCORE_THRESHOLD, allow_list=ALLOW)
        assert sorted((r.start, r.end, r.entity_type, r.score) for r in presidio) == sorted(
            (r.start, r.end, r.entity_type, r.score) for r in ours
        )


def test_an_english_note_is_de_identified_without_importing_the_analyzer_or_spacy() -> None:
    code = (
        "import sys\n"
        "from socle.notes import deidentify\n"
        "r = deidentify('Seen by Dr Smith on 2020-01-02, call 555-123-4567', 'en', shift_days=3)\n"
        "assert r.text == 'Seen by Dr [PERSON] on 2019-12-30, call [PHONE]', r.text\n"
        "print(sorted(m for m in ('presidio_analyzer', 'spacy') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
