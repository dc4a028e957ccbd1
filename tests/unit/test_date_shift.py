"""Per-person date shifting: the exact birth date cannot be read from any warehouse date."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, timedelta
from functools import cache
from pathlib import Path

import orjson
import pytest

from socle.config import Settings
from socle.ingest import read_file
from socle.node import Node
from socle.privacy import DateShift
from socle.warehouse import CDM
from tests.conftest import SAMPLE, loaded_home

ISO_DAY = re.compile(rb'"(\d{4}-\d{2}-\d{2})')


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    """The 50 sample patients (a copy of the run's one load), read only."""
    node = Node.open(Settings(home=loaded_home(tmp_path_factory)))
    yield node
    node.close()


def _subject(resource: dict[str, object]) -> str | None:
    if resource["resourceType"] == "Patient":
        return str(resource["id"])
    for field in ("subject", "patient"):
        ref = resource.get(field)
        if isinstance(ref, dict) and isinstance(ref.get("reference"), str):
            return str(ref["reference"]).removeprefix("urn:uuid:").rsplit("/", 1)[-1]
    return None


@cache
def _source_days(folder: Path) -> dict[str, set[date]]:
    """Every calendar day written in each patient's resources (the truth, unshifted), birth
    date excepted."""
    days: dict[str, set[date]] = defaultdict(set)
    for file in sorted(folder.glob("*.json.gz")):
        for item in read_file(file):
            resource = dict(item.resource or {})
            patient = _subject(resource) if resource.get("resourceType") else None
            resource.pop("birthDate", None)
            for found in ISO_DAY.findall(orjson.dumps(resource)) if patient else ():
                days[str(patient)].add(date.fromisoformat(found.decode()))
    return days


def _warehouse_days(node: Node) -> dict[int, set[date]]:
    """Every DATE value of every CDM table, by person."""
    days: dict[int, set[date]] = defaultdict(set)
    for table, columns in CDM.items():
        for column, kind in columns.items():
            if str(kind) == "date32[day]" and "person_id" in columns:
                rows = node.warehouse.aggregate(
                    f"SELECT person_id, {column} FROM {table} WHERE {column} IS NOT NULL"
                )
                for person_id, day in rows:
                    days[person_id].add(day)
    return days


def test_no_warehouse_date_gives_away_the_birth_date(sample: Node) -> None:
    node = sample
    truth = _source_days(SAMPLE)
    stored = _warehouse_days(node)
    persons = node.warehouse.aggregate(
        "SELECT person_id, person_source_value, year_of_birth, month_of_birth FROM person"
    )
    assert len(persons) == 50
    history_from_birth = 0
    for person_id, token, year, month in persons:
        identity = node.vault.get(token)
        birth = date.fromisoformat(identity["birthDate"])
        offset = node.dates.days(identity["source_id"])
        assert 1 <= offset <= node.dates.max_days
        real = truth[identity["source_id"]]
        history_from_birth += birth in real
        # Every stored day is a real day of this patient moved back by the patient's offset...
        assert {d for d in stored[person_id] if d + timedelta(days=offset) not in real} == set()
        # ...so a stored day equals the birth date only as the image of a later real event.
        if birth in stored[person_id]:
            assert birth + timedelta(days=offset) in real
        shifted_birth = birth - timedelta(days=offset)
        assert (year, month) == (shifted_birth.year, shifted_birth.month)
    # The attack this defends against is present in the sample: histories that start at birth.
    assert history_from_birth >= 3


def test_history_that_starts_at_birth_no_longer_starts_on_the_birth_date(sample: Node) -> None:
    node = sample
    truth = _source_days(SAMPLE)
    rows = node.warehouse.aggregate(
        "SELECT p.person_source_value, o.observation_period_start_date "
        "FROM person p JOIN observation_period o USING (person_id)"
    )
    from_birth = 0
    for token, start in rows:
        identity = node.vault.get(token)
        birth = date.fromisoformat(identity["birthDate"])
        if min(truth[identity["source_id"]]) == birth:  # the ~10% the attack worked on
            from_birth += 1
            offset = node.dates.days(identity["source_id"])
            assert start == birth - timedelta(days=offset) != birth
    assert from_birth >= 3


def test_offset_is_keyed_deterministic_and_varies_between_patients() -> None:
    shift = DateShift(b"k" * 32, max_days=180)
    offsets = [shift.days(f"patient-{i}") for i in range(500)]
    assert offsets == [DateShift(b"k" * 32, max_days=180).days(f"patient-{i}") for i in range(500)]
    assert min(offsets) >= 1 and max(offsets) <= 180
    assert len(set(offsets)) > 100
    other = [DateShift(b"j" * 32, max_days=180).days(f"patient-{i}") for i in range(500)]
    assert other != offsets
    assert shift.shift(date(2000, 1, 10), "patient-1") == date(2000, 1, 10) - timedelta(
        days=offsets[1]
    )
