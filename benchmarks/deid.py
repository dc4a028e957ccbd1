"""De-identification benchmark: recall, precision, clinical-term survival, speed.

1. **Synthea notes** (``--source``, the 50-patient set): ground truth from what
   the vault would hold for each patient (names with and without Synthea's
   digits, address lines, city, zip, phones, identifiers, birth date) and from
   the load's directory (practitioners' and organisations' names), wherever it
   occurs in a note. Synthea notes never name a clinician or a place, so each
   note is also measured *signed*: its DocumentReference's author and custodian
   displays appended as a signature block, as real notes carry.
   Recall = share of those occurrences fully removed; precision = share of
   removed spans that were a known identifier or a date; survival = share of the
   patient's coded condition and medication names present in a note that are
   still there after de-identification.
2. **French snippets** (``--french``, eds-pseudo's 254 labelled snippets):
   recall per gold label and precision per label found, on the development
   half (even positions, the only one looked at while tuning), the held-out
   half (odd positions) and all.
3. **Speed**: notes/s of de-identification alone, and the ingest of the sample
   with its notes against the same files without them (each load in a fresh
   process, alternated, median of ``--repeats``): the slowdown ratio.

    python benchmarks/deid.py
    python benchmarks/deid.py --limit 300 --repeats 1   # quicker
"""

from __future__ import annotations

import argparse
import base64
import gzip
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import orjson

DEFAULT_SOURCE = Path("/work/shared/data/synthea-fhir-r4")
DEFAULT_FRENCH = Path("/work/shared/data/fr-deid-snippets")
_SUFFIX = re.compile(r"\d+$")
GROUPS = {
    "names": {"NOM", "PRENOM"},
    "phones": {"TEL"},
    "e-mails": {"MAIL"},
    "identifiers": {"SECU", "IPP", "NDA"},
}


def _bundles(source: Path) -> list[dict[str, Any]]:
    files = sorted(p for p in source.glob("*.json*") if p.name.endswith((".json", ".json.gz")))
    return [
        orjson.loads(gzip.decompress(p.read_bytes()) if p.suffix == ".gz" else p.read_bytes())
        for p in files
    ]


def _covered(span: tuple[int, int], text: str, removed: list[tuple[int, int, str]]) -> bool:
    """Every letter and digit of ``span`` lies inside a removed span."""
    return all(any(s <= i < e for s, e, _ in removed) for i in range(*span) if text[i].isalnum())


def _occurrences(text: str, values: set[str]) -> list[tuple[int, int]]:
    spans = []
    for value in values:
        chars = [re.escape(c) for c in value if c.isalnum()]
        if len(chars) < 2:
            continue
        pattern = r"(?<![0-9A-Za-z])" + r"[\s.\-/()]*".join(chars) + r"(?![0-9A-Za-z])"
        spans += [m.span() for m in re.finditer(pattern, text, re.IGNORECASE)]
    return spans


def _patient_values(patient: dict[str, Any]) -> set[str]:
    values = {patient["id"], patient.get("birthDate", "")}
    for name in patient.get("name", []):
        for part in [*name.get("given", []), name.get("family", "")]:
            values |= {part, _SUFFIX.sub("", part)}
    for address in patient.get("address", []):
        values |= {*address.get("line", []), address.get("city", ""), address.get("postalCode", "")}
    values |= {t.get("value", "") for t in patient.get("telecom", [])}
    values |= {i.get("value", "") for i in patient.get("identifier", [])}
    return {v for v in values if len(v) > 1}


def _directory(source: Path) -> tuple[Any, set[str]]:
    from socle.notes import Directory

    directory, values = Directory(), set()
    for path in sorted((source / "support").glob("*.json*")):
        for entry in orjson.loads(path.read_bytes())["entry"]:
            resource = entry["resource"]
            directory.add(resource)
            if resource["resourceType"] == "Practitioner":
                for name in resource.get("name", []):
                    values.add(" ".join([*name.get("given", []), name.get("family", "")]))
            elif resource.get("name"):
                values.add(resource["name"])
    return directory, values


def _coded_terms(bundle: dict[str, Any]) -> set[str]:
    terms = set()
    for entry in bundle["entry"]:
        r = entry["resource"]
        concept = (
            r.get("code")
            if r["resourceType"] == "Condition"
            else r.get("medicationCodeableConcept")
        )
        if r["resourceType"] in ("Condition", "MedicationRequest") and concept:
            terms |= {c["display"].lower() for c in concept.get("coding", []) if c.get("display")}
    return terms


def synthea(source: Path, limit: int | None) -> dict[str, Any]:
    from socle.notes import deidentify, find, patient_terms

    deidentify("warm-up 2020-01-01", "en", shift_days=0)  # scanners compiled before timing
    directory, directory_values = _directory(source)
    stats: Counter[str] = Counter()
    seconds, notes = 0.0, 0
    for bundle in _bundles(source):
        patient = next(
            e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient"
        )
        identity = {**patient, "source_id": patient["id"]}
        known = (patient_terms(identity), directory.terms)
        values, coded = _patient_values(patient), _coded_terms(bundle)
        for entry in bundle["entry"]:
            doc = entry["resource"]
            if doc["resourceType"] != "DocumentReference" or (limit and notes >= limit):
                continue
            text = base64.b64decode(doc["content"][0]["attachment"]["data"]).decode()
            signature = [
                doc.get("author", [{}])[0].get("display", ""),
                doc.get("custodian", {}).get("display", ""),
            ]
            signed = text + "\n\nSigned: " + "\n".join(s for s in signature if s)
            notes += 1
            started = time.perf_counter()
            result = deidentify(text, "en", known=known, shift_days=17)
            seconds += time.perf_counter() - started
            removed = find(signed, "en", known)
            for kind, gold in (("patient", values), ("directory", directory_values)):
                for span in _occurrences(signed, gold):
                    stats[f"{kind}_total"] += 1
                    stats[f"{kind}_removed"] += _covered(span, signed, removed)
            gold_spans = _occurrences(signed, values | directory_values)
            for s, e, label in removed:
                stats["removed_spans"] += 1
                stats["true_spans"] += label == "DATE" or any(
                    s < ge and gs < e for gs, ge in gold_spans
                )
            lower, out = text.lower(), result.text.lower()
            present = [t for t in coded if t in lower]
            stats["terms"] += len(present)
            stats["terms_kept"] += sum(t in out for t in present)
    return {
        "notes": notes,
        "notes_per_s": notes / seconds,
        "patient_recall": stats["patient_removed"] / max(stats["patient_total"], 1),
        "patient_occurrences": stats["patient_total"],
        "directory_recall": stats["directory_removed"] / max(stats["directory_total"], 1),
        "directory_occurrences": stats["directory_total"],
        "precision": stats["true_spans"] / max(stats["removed_spans"], 1),
        "clinical_terms_survival": stats["terms_kept"] / max(stats["terms"], 1),
        "clinical_terms": stats["terms"],
    }


def snippets(folder: Path) -> dict[str, list[dict[str, Any]]]:
    """The French snippets in a fixed order (files sorted, then lines), split by index parity:
    ``dev`` (even) is the half the recognisers were tuned on, ``held_out`` (odd) never
    looked at while tuning, and ``all``."""
    every = [
        json.loads(line)
        for path in sorted(folder.glob("*.jsonl"))
        for line in path.read_text().splitlines()
    ]
    return {"dev": every[0::2], "held_out": every[1::2], "all": every}


def french(folder: Path) -> dict[str, Any]:
    """Recall per gold label and precision per label found, on each half and on all."""
    return {half: _french_scores(items) for half, items in snippets(folder).items()}


def _french_scores(items: list[dict[str, Any]]) -> dict[str, Any]:
    from socle.notes import find

    recall: Counter[str] = Counter()
    total: Counter[str] = Counter()
    found_by: Counter[str] = Counter()
    right_by: Counter[str] = Counter()
    for snippet in items:
        text, gold = snippet["note_text"], snippet["entities"]
        removed = find(text, "fr")
        for g in gold:
            total[g["label"]] += 1
            recall[g["label"]] += _covered((g["start"], g["end"]), text, removed)
        for s, e, label in removed:
            found_by[label] += 1
            right_by[label] += any(s < g["end"] and g["start"] < e for g in gold)
    per_label = {label: (recall[label] / total[label], total[label]) for label in sorted(total)}
    groups = {
        name: (sum(recall[x] for x in labels) / n if (n := sum(total[x] for x in labels)) else None)
        for name, labels in GROUPS.items()
    }  # None: the set has no span of that kind
    return {
        "snippets": len(items),
        "recall_per_label": per_label,
        "recall_groups": groups,
        "recall_overall": sum(recall.values()) / sum(total.values()),
        "precision_per_label": {
            k: (right_by[k] / found_by[k], found_by[k]) for k in sorted(found_by)
        },
        "precision_overall": sum(right_by.values()) / max(sum(found_by.values()), 1),
    }


def _without_notes(source: Path, target: Path) -> Path:
    """The same bundles with their notes (DocumentReference, report text) taken out."""
    target.mkdir(parents=True, exist_ok=True)
    for i, bundle in enumerate(_bundles(source)):
        kept = []
        for entry in bundle["entry"]:
            r = entry["resource"]
            if r["resourceType"] == "DocumentReference":
                continue
            if r["resourceType"] == "DiagnosticReport":
                r = {k: v for k, v in r.items() if k != "presentedForm"}
            kept.append({**entry, "resource": r})
        (target / f"b{i:03d}.json").write_bytes(orjson.dumps({**bundle, "entry": kept}))
    return target


_LOAD = """
import sys, time, tempfile
from pathlib import Path
from socle.config import Settings
from socle.node import Node
node = Node.open(Settings(home=Path(tempfile.mkdtemp()) / "home"))
started, cpu = time.perf_counter(), time.process_time()
node.load(Path(sys.argv[1]), actor="bench")
print(time.perf_counter() - started, time.process_time() - cpu)
"""


def _load_seconds(folder: Path) -> tuple[float, float]:
    """Wall and CPU seconds of one load of ``folder`` in a fresh process."""
    out = subprocess.run(
        [sys.executable, "-c", _LOAD, str(folder)], check=True, capture_output=True, text=True
    )
    wall, cpu = out.stdout.strip().splitlines()[-1].split()
    return float(wall), float(cpu)


def slowdown(source: Path, repeats: int) -> dict[str, float]:
    """The load with notes against without, in a fresh process each (alternated, median):
    the ratio of CPU seconds (what de-identification costs, whatever the machine's load)
    and of wall seconds; the load average is reported beside them."""
    with tempfile.TemporaryDirectory() as tmp:
        plain = _without_notes(source, Path(tmp) / "plain")
        full = Path(tmp) / "full"
        full.mkdir()
        for p in sorted(source.glob("*.json")):
            (full / p.name).write_bytes(p.read_bytes())
        with_notes, without = [], []
        for _ in range(repeats):
            without.append(_load_seconds(plain))
            with_notes.append(_load_seconds(full))
    wall_a, wall_b = (statistics.median(w for w, _ in runs) for runs in (with_notes, without))
    cpu_a, cpu_b = (statistics.median(c for _, c in runs) for runs in (with_notes, without))
    return {
        "with_notes_cpu_s": cpu_a,
        "without_notes_cpu_s": cpu_b,
        "cpu_ratio": cpu_a / cpu_b,
        "with_notes_wall_s": wall_a,
        "without_notes_wall_s": wall_b,
        "wall_ratio": wall_a / wall_b,
        "load_average_1min": os.getloadavg()[0],
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--french", type=Path, default=DEFAULT_FRENCH)
    parser.add_argument("--limit", type=int, default=None, help="Synthea notes to measure")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--skip-ingest", action="store_true")
    parser.add_argument("--french-only", action="store_true", help="only the French snippets")
    parser.add_argument("--ingest-only", action="store_true", help="only the ingest slowdown")
    args = parser.parse_args(argv)
    if args.ingest_only:
        print(json.dumps({"ingest": slowdown(args.source, args.repeats)}, indent=2))
        return 0
    if args.french_only:
        print(json.dumps({"french": french(args.french)}, indent=2))
        return 0
    results = {"synthea": synthea(args.source, args.limit), "french": french(args.french)}
    if not args.skip_ingest:
        results["ingest"] = slowdown(args.source, args.repeats)
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
