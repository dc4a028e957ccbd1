"""The catalogue: standard metadata, a derived dictionary, consent-filtered counts with small
cells hidden, DCAT JSON-LD export and search."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest

from socle.catalog import Catalog, CatalogError, Dataset, describe, to_jsonld
from socle.consent import ConsentEvent
from socle.node import Node


def _register(node: Node, **extra: object) -> Dataset:
    fields: dict[str, object] = {
        "title": "Synthea primary care",
        "description": "Synthetic patients mapped to OMOP",
        "publisher": "Demo hospital",
        "contact": "dpo@hospital.example",
        "themes": ("HEAL", "cardiology"),
        "keywords": ("hypertension", "primary care"),
        "legal_basis": "GDPR art. 9(2)(j), public-interest research",
        "update_frequency": "monthly",
        "population_coverage": "Adults and children followed in primary care",
        **extra,
    }
    return node.catalog.register(node.warehouse, actor="steward", **fields)  # type: ignore[arg-type]


def test_dataset_carries_healthdcat_metadata_and_a_described_dictionary(loaded: Node) -> None:
    ds = _register(loaded)
    assert (ds.contact, ds.themes, ds.update_frequency) == (
        "dpo@hospital.example",
        ("HEAL", "cardiology"),
        "monthly",
    )
    assert ds.coverage_start is not None and ds.coverage_start <= ds.coverage_end  # type: ignore[operator]
    yob = next(v for v in ds.variables if (v.table, v.column) == ("person", "year_of_birth"))
    assert yob.completeness == 1.0 and "vault" in yob.description
    assert yob.distinct_values is None  # three patients: a small count, suppressed
    assert all(v.description for v in ds.variables)


def test_dictionary_descriptions_follow_omop_conventions() -> None:
    assert describe("condition_occurrence", "condition_concept_id") == (
        "OMOP standard concept of condition"
    )
    assert describe("measurement", "measurement_date").startswith("Date of measurement")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"title": " "}, "needs a title"),
        ({"access_rights": "open bar"}, "access rights 'open bar' unknown"),
        ({"update_frequency": "hourly"}, "update frequency 'hourly' unknown"),
    ],
)
def test_incomplete_or_invalid_metadata_is_refused(
    loaded: Node, extra: dict[str, str], message: str
) -> None:
    with pytest.raises(CatalogError, match=message):
        _register(loaded, **extra)


def test_population_below_threshold_is_hidden_in_metadata_and_dcat(loaded: Node) -> None:
    ds = _register(loaded)  # three patients: below the threshold of 10
    assert ds.population is None
    doc = to_jsonld([ds], catalog_title="Node")
    node = doc["@graph"][1]
    assert "healthdcatap:numberOfUniqueIndividuals" not in node
    shown = Catalog(loaded.engine, loaded.audit, small_cell_threshold=1, rounding_base=1).get(ds.id)
    assert shown.population == 3


def test_dcat_export_is_json_ld_with_the_standard_terms(loaded: Node) -> None:
    ds = loaded.catalog.attach_quality(
        _register(loaded).id, {"implausible": 0, "rows": 1200}, actor="steward"
    )
    doc = orjson.loads(orjson.dumps(to_jsonld([ds], catalog_title="Node catalogue")))
    catalog, node = doc["@graph"]
    assert catalog["@type"] == "dcat:Catalog" and catalog["dcat:dataset"] == [{"@id": node["@id"]}]
    assert doc["@context"]["dcat"] == "http://www.w3.org/ns/dcat#"
    assert node["@type"] == "dcat:Dataset"
    assert node["dct:publisher"]["foaf:name"] == "Demo hospital"
    assert node["dcat:contactPoint"]["vcard:hasEmail"] == "mailto:dpo@hospital.example"
    assert {"@id": "http://publications.europa.eu/resource/authority/data-theme/HEAL"} in node[
        "dcat:theme"
    ]
    assert node["dct:accessRights"]["@id"].endswith("access-right/RESTRICTED")
    assert node["dct:accrualPeriodicity"]["@id"].endswith("frequency/MONTHLY")
    assert node["dct:temporal"]["dcat:startDate"]["@value"] == ds.coverage_start.isoformat()  # type: ignore[union-attr]
    assert node["dpv:hasLegalBasis"].startswith("GDPR")
    assert len(node["csvw:tableSchema"]["csvw:column"]) == len(ds.variables)
    assert {m["dqv:isMeasurementOf"] for m in node["dqv:hasQualityMeasurement"]} == {
        "socle:implausible",
        "socle:rows",
    }


def test_search_by_keyword_theme_and_variable(loaded: Node) -> None:
    first = _register(loaded)
    second = _register(loaded, title="Oncology registry", keywords=("cancer",), themes=("HEAL",))
    ids = lambda found: {d.id for d in found}  # noqa: E731
    assert ids(loaded.catalog.search(keyword="HYPERTENSION")) == {first.id}
    assert ids(loaded.catalog.search(keyword="oncology")) == {second.id}
    assert ids(loaded.catalog.search(theme="cardiology")) == {first.id}
    assert ids(loaded.catalog.search(theme="heal")) == {first.id, second.id}
    assert ids(loaded.catalog.search(variable="measurement.value_as_number")) == {
        first.id,
        second.id,
    }
    assert ids(loaded.catalog.search(variable="year_of_birth", keyword="cancer")) == {second.id}
    assert loaded.catalog.search(variable="person.shoe_size") == []


def test_counts_for_a_purpose_exclude_objectors_and_hide_small_cells(loaded: Node) -> None:
    ds = _register(loaded)
    [objector, *_] = [int(r[0]) for r in loaded.warehouse.aggregate("SELECT person_id FROM person")]
    today = datetime.now(UTC).date()
    loaded.consent.record(
        [ConsentEvent(objector, "research", "objection", today, "portal", "patient")],
        actor="portal", role="patient",
    )  # fmt: skip
    exact = Catalog(loaded.engine, loaded.audit, small_cell_threshold=1, rounding_base=1)
    research = exact.counts(
        ds.id, warehouse=loaded.warehouse, consent=loaded.consent, purpose="research", actor="s"
    )
    care = exact.counts(
        ds.id, warehouse=loaded.warehouse, consent=loaded.consent, purpose="care_quality",
        actor="s",
    )  # fmt: skip
    assert (research.persons, care.persons) == (2, 3)
    assert sum(n or 0 for n in research.by_sex.values()) == 2
    assert research.by_table["condition_occurrence"] == 2
    hidden = loaded.catalog.counts(
        ds.id, warehouse=loaded.warehouse, consent=loaded.consent, purpose="research", actor="s"
    )
    assert hidden.persons is None and set(hidden.by_table.values()) == {None}
    event = list(loaded.audit.events("catalog.counts"))[-1]
    assert event.purpose == "research" and event.details["excluded_by_consent"] == 1
    assert event.details["suppressed"] == hidden.suppressed


def test_opt_in_purpose_counts_only_those_who_opted_in(loaded: Node) -> None:
    ds = _register(loaded)
    counts = Catalog(loaded.engine, loaded.audit, small_cell_threshold=0, rounding_base=1).counts(
        ds.id, warehouse=loaded.warehouse, consent=loaded.consent,
        purpose="industrial_research", actor="s",
    )  # fmt: skip
    assert counts.persons == 0


def test_counts_for_an_unknown_dataset_or_purpose_are_refused(loaded: Node) -> None:
    with pytest.raises(CatalogError, match="no dataset 'nope'"):
        loaded.catalog.counts(
            "nope", warehouse=loaded.warehouse, consent=loaded.consent, purpose="research",
            actor="s",
        )  # fmt: skip
