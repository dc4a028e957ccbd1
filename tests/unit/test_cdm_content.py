"""What a Synthea export carries lands in its OMOP place (providers, sites, devices, surveys,
costs, eras, local dates), with no identifying detail."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path
from typing import Any

import orjson
import pytest

from socle.node import Node
from tests.conftest import SAMPLE

VOCABULARY = Path(__file__).resolve().parents[2] / "data" / "vocabulary"


@pytest.fixture
def full(node: Node, small_sample: Path) -> Node:
    """Three patients with the provider directory, mapped with the demo vocabulary."""
    shutil.copytree(SAMPLE / "support", small_sample / "support")
    node.load_vocabulary(VOCABULARY, actor="steward")
    node.load(small_sample, actor="test")
    return node


def _one(node: Node, sql: str) -> Any:
    [(value,)] = node.warehouse.aggregate(sql)
    return value


def test_visits_name_their_provider_and_care_site_which_exist(full: Node) -> None:
    assert _one(full, "SELECT count(*) FROM visit_occurrence WHERE provider_id IS NULL") == 0
    orphans = _one(
        full,
        "SELECT count(*) FROM visit_occurrence WHERE provider_id NOT IN "
        "(SELECT provider_id FROM provider) OR care_site_id NOT IN (SELECT care_site_id FROM care_site)",
    )
    assert orphans == 0
    assert _one(full, "SELECT count(provider_name) + count(npi) FROM provider") == 0
    # One detail per encounter; merged inpatient stays make fewer visits than details.
    assert _one(full, "SELECT count(*) FROM visit_detail") >= _one(
        full, "SELECT count(*) FROM visit_occurrence"
    )
    assert _one(
        full,
        "SELECT count(*) FROM visit_occurrence WHERE preceding_visit_occurrence_id IS NOT NULL",
    ) == _one(full, "SELECT count(*) - count(DISTINCT person_id) FROM visit_occurrence")


def test_locations_keep_state_and_three_zip_digits_only(full: Node) -> None:
    zips = {
        z for (z,) in full.warehouse.aggregate("SELECT zip FROM location WHERE zip IS NOT NULL")
    }
    assert zips and all(len(z) == 3 for z in zips)
    assert _one(full, "SELECT count(address_1) + count(city) + count(latitude) FROM location") == 0
    assert _one(full, "SELECT count(*) FROM person WHERE location_id IS NULL") == 0


def test_every_survey_answer_is_its_own_row(full: Node, small_sample: Path) -> None:
    answers = 0
    for path in small_sample.glob("*.json.gz"):
        for entry in orjson.loads(gzip.decompress(path.read_bytes()))["entry"]:
            resource = entry["resource"]
            if resource["resourceType"] == "Observation":
                answers += len(resource.get("component") or [None])
    [(rows,)] = full.warehouse.aggregate(
        "SELECT (SELECT count(*) FROM measurement) + (SELECT count(*) FROM observation "
        "WHERE observation_source_value <> 'allergy')"
    )
    allergies = _one(full, "SELECT count(*) FROM observation WHERE value_source_value = 'allergy'")
    assert rows - allergies >= answers - 5  # every component (and plain observation) is a row


def test_devices_costs_and_eras_are_filled(full: Node) -> None:
    assert _one(full, "SELECT count(*) FROM device_exposure") > 0
    assert _one(full, "SELECT count(*) FROM cost WHERE total_charge IS NOT NULL") > 0
    assert (
        _one(
            full,
            "SELECT count(*) FROM cost WHERE cost_event_id NOT IN "
            "(SELECT visit_occurrence_id FROM visit_occurrence)",
        )
        == 0
    )
    assert _one(full, "SELECT count(*) FROM payer_plan_period") > 0
    assert _one(full, "SELECT count(*) FROM condition_era") > 0
    assert _one(full, "SELECT cdm_version FROM cdm_source") == "v5.4"
    assert (
        _one(
            full,
            "SELECT count(*) FROM person WHERE race_concept_id = 0 AND race_source_value = '2106-3'",
        )
        == 0
    )


def test_observation_period_covers_every_event_start_and_end(full: Node) -> None:
    outside = _one(
        full,
        "SELECT count(*) FROM drug_exposure d JOIN observation_period o USING (person_id) "
        "WHERE d.drug_exposure_end_date > o.observation_period_end_date "
        "OR d.drug_exposure_start_date < o.observation_period_start_date",
    )
    assert outside == 0


def test_dates_are_local_the_day_of_their_datetime(full: Node) -> None:
    differ = _one(
        full,
        "SELECT count(*) FROM visit_occurrence WHERE visit_start_date <> visit_start_datetime::DATE",
    )
    assert differ == 0
