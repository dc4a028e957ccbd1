"""Synthea CSV route: same warehouse, same person_id and visits as FHIR, no identifier stored."""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

import orjson

from socle.node import Node
from tests.unit.test_ingest import _all_strings

CSV = Path(__file__).resolve().parents[1] / "fixtures" / "synthea-csv"


def _rows(name: str) -> list[dict[str, str]]:
    with (CSV / name).open(newline="") as f:
        return list(csv.DictReader(f))


def test_csv_export_loads_and_reconciles(node: Node) -> None:
    summary = node.load(CSV, actor="test")
    assert summary.reconciles() and not summary.quarantine
    assert summary.persons == 3
    assert summary.read["Patient"] == 3
    assert summary.read["Encounter"] == len(_rows("encounters.csv"))
    counts = node.warehouse.table_counts()
    assert counts["visit_occurrence"] == len(_rows("encounters.csv"))
    assert counts["condition_occurrence"] == len(_rows("conditions.csv"))
    assert counts["procedure_occurrence"] == len(_rows("procedures.csv"))
    assert counts["drug_exposure"] == len(_rows("medications.csv")) + len(
        _rows("immunizations.csv")
    )
    assert counts["measurement"] + counts["observation"] == len(_rows("observations.csv")) + len(
        _rows("allergies.csv")
    )
    assert counts["death"] == sum(1 for p in _rows("patients.csv") if p["DEATHDATE"])
    assert counts["observation_period"] == 3
    first = _rows("patients.csv")[0]
    token = node.vault.pseudonym_for_source(first["Id"])
    identity = node.vault.get(token)
    assert identity["name"][0]["given"] == [first["FIRST"]]
    assert {i["value"] for i in identity["identifier"]} >= {first["SSN"]}
    node.load(CSV, actor="test")
    assert node.warehouse.table_counts() == counts, "re-loading adds no duplicates"


def test_no_csv_identifier_reaches_the_warehouse(node: Node) -> None:
    node.load(CSV, actor="test")
    text = _all_strings(node)
    tokens = set(re.split(r"[^A-Za-z0-9'-]+", text))
    needles = (
        [
            p[col]
            for p in _rows("patients.csv")
            for col in (
                "Id",
                "SSN",
                "DRIVERS",
                "PASSPORT",
                "FIRST",
                "LAST",
                "MAIDEN",
                "ZIP",
                "BIRTHDATE",
            )
            if p[col]
        ]
        + [p["ADDRESS"] for p in _rows("patients.csv")]
        + [p["BIRTHPLACE"] for p in _rows("patients.csv")]
    )
    assert len(needles) > 15
    leaked = [n for n in needles if (n in text if " " in n else n in tokens)]
    assert leaked == []


def _fhir_twin(patient: dict[str, str], encounter: dict[str, str]) -> bytes:
    """The Patient and Encounter as Synthea's FHIR exporter writes them."""
    race = {"url": "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race", "extension": [
        {"url": "ombCategory", "valueCoding": {"system": "urn:oid:2.16.840.1.113883.6.238",
                                               "code": "2106-3", "display": "White"}},
        {"url": "text", "valueString": "White"}]}  # fmt: skip
    ethnicity = {"url": "http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity", "extension": [
        {"url": "ombCategory", "valueCoding": {"system": "urn:oid:2.16.840.1.113883.6.238",
                                               "code": "2186-5", "display": "Not Hispanic or Latino"}}]}  # fmt: skip
    return orjson.dumps(
        {
            "resourceType": "Bundle",
            "type": "transaction",
            "entry": [
                {
                    "fullUrl": f"urn:uuid:{patient['Id']}",
                    "resource": {
                        "resourceType": "Patient",
                        "id": patient["Id"],
                        "extension": [race, ethnicity],
                        "name": [{"family": patient["LAST"], "given": [patient["FIRST"]]}],
                        "gender": "male" if patient["GENDER"] == "M" else "female",
                        "birthDate": patient["BIRTHDATE"],
                        "address": [
                            {
                                "line": [patient["ADDRESS"]],
                                "city": patient["CITY"],
                                "state": patient["STATE"],
                                "postalCode": patient["ZIP"],
                            }
                        ],
                    },
                },
                {
                    "resource": {
                        "resourceType": "Encounter",
                        "id": encounter["Id"],
                        "class": {"code": "AMB"},
                        "subject": {"reference": f"urn:uuid:{patient['Id']}"},
                        "period": {"start": encounter["START"], "end": encounter["STOP"]},
                    }
                },
            ],
        }
    )


def test_fhir_and_csv_give_the_same_person_and_visit(node: Node, tmp_path: Path) -> None:
    node.load(CSV, actor="test")
    person = node.warehouse.aggregate("SELECT * FROM person ORDER BY ALL")
    visits = node.warehouse.aggregate("SELECT * FROM visit_occurrence ORDER BY ALL")
    patient = next(p for p in _rows("patients.csv") if p["RACE"] == "white" and not p["DEATHDATE"])
    encounter = next(
        e
        for e in _rows("encounters.csv")
        if e["PATIENT"] == patient["Id"] and e["ENCOUNTERCLASS"] in {"ambulatory", "wellness"}
    )
    (tmp_path / "twin.json").write_bytes(_fhir_twin(patient, encounter))
    summary = node.load(tmp_path / "twin.json", actor="test")
    assert summary.loaded["Patient"] == 1 and summary.loaded["Encounter"] == 1
    assert node.warehouse.aggregate("SELECT * FROM person ORDER BY ALL") == person
    assert node.warehouse.aggregate("SELECT * FROM visit_occurrence ORDER BY ALL") == visits
    assert node.person_id(patient["Id"]) in {row[0] for row in person}


def test_bad_csv_rows_are_quarantined_and_the_rest_loads(node: Node, tmp_path: Path) -> None:
    folder = tmp_path / "csv"
    shutil.copytree(CSV, folder)
    good = _rows("conditions.csv")[0]
    with (folder / "conditions.csv").open("a", newline="") as f:
        w = csv.writer(f)
        w.writerow(["2020-01-01", "", "", good["ENCOUNTER"], good["CODE"], good["DESCRIPTION"]])
        w.writerow(["yesterday", "", good["PATIENT"], good["ENCOUNTER"], good["CODE"], "x"])
        w.writerow(["2020-01-01", ""])
    summary = node.load(folder, actor="test")
    assert summary.reconciles()
    reasons = sorted(q.reason for q in summary.quarantine)
    assert len(reasons) == 3
    assert any("subject reference is missing" in r for r in reasons)
    assert any("not a valid FHIR dateTime" in r for r in reasons)
    assert any("number of columns" in r for r in reasons)
    assert summary.persons == 3
    stored = {f for (f,) in node.warehouse.aggregate("SELECT DISTINCT file FROM quarantine")}
    assert all(f.startswith("file-") and "csv" not in f for f in stored)
