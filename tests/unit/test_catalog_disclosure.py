"""Every count a researcher sees in the catalogue is consent-filtered for the purpose asked
and disclosed like a release cell (below 10 suppressed, others rounded to 5).

The attack: the dictionary showed ``distinct_values 4`` for ``death.person_id`` and an
unrounded population that included objectors.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from socle.api import Principal, Role
from socle.config import Settings
from socle.consent import ConsentEvent
from socle.node import Node
from tests.apiclient import api_client, token_for
from tests.conftest import loaded_home

OBJECTORS = 7


def _checked(n: int | None) -> bool:
    return n is None or (n >= 10 and n % 5 == 0)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str, int]]:
    """The 50 sample patients, 7 of whom object to research; one dataset registered."""
    home = loaded_home(tmp_path_factory)
    node = Node.open(Settings(home=home))
    persons = sorted(int(r[0]) for r in node.warehouse.aggregate("SELECT person_id FROM person"))
    today = datetime.now(UTC).date()
    node.consent.record(
        [ConsentEvent(p, "research", "objection", today, "portal", "p") for p in persons[:OBJECTORS]],
        actor="portal", role="patient",
    )  # fmt: skip
    ds = node.catalog.register(node.warehouse, title="t", description="d", publisher="p", actor="s")
    deaths = node.warehouse.aggregate("SELECT count(DISTINCT person_id) FROM death")[0][0]
    node.close()
    yield home, ds.id, int(deaths)


def test_the_dictionary_and_population_are_checked_and_consent_filtered(
    home: tuple[Path, str, int],
) -> None:
    path, dataset_id, deaths = home
    assert 0 < deaths < 10  # the sample holds a small cell: the attack
    node = Node.open(Settings(home=path))
    try:
        research = node.catalog.for_purpose(
            dataset_id, warehouse=node.warehouse, consent=node.consent, purpose="research",
            actor="researcher",
        )  # fmt: skip
        care = node.catalog.for_purpose(
            dataset_id, warehouse=node.warehouse, consent=node.consent, purpose="care_quality",
            actor="researcher",
        )  # fmt: skip
        stored = node.catalog.get(dataset_id)
    finally:
        node.close()
    assert research.population == 45  # 43 consenting persons, rounded to 5
    assert care.population == 50
    for ds in (research, care, stored):
        assert _checked(ds.population)
        assert all(_checked(v.distinct_values) for v in ds.variables), [
            (v.table, v.column, v.distinct_values)
            for v in ds.variables
            if not _checked(v.distinct_values)
        ]
        [death] = [v for v in ds.variables if (v.table, v.column) == ("death", "person_id")]
        assert death.distinct_values is None
    [d] = [v for v in research.variables if (v.table, v.column) == ("death", "person_id")]
    assert d.completeness is None  # a table of fewer than 10 rows shows no ratio either


def test_a_researcher_reads_checked_counts_through_the_api(home: tuple[Path, str, int]) -> None:
    path, dataset_id, _ = home
    with api_client(path) as client:
        headers = token_for(client, Principal("researcher", frozenset({Role.RESEARCHER})))
        dataset = client.get(f"/catalog/datasets/{dataset_id}", headers=headers).json()
        variables = client.get(
            f"/catalog/datasets/{dataset_id}/variables",
            params={"table": "death", "purpose": "research"}, headers=headers,
        ).json()  # fmt: skip
        unknown = client.get(
            f"/catalog/datasets/{dataset_id}", params={"purpose": "nope"}, headers=headers
        )
    assert dataset["population"] == 45
    assert variables["items"] and all(_checked(v["distinct_values"]) for v in variables["items"])
    assert unknown.status_code == 422 and "unknown purpose" in unknown.json()["detail"]
