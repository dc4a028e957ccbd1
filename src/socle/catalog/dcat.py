"""The catalogue as DCAT JSON-LD, with the HealthDCAT-AP health extensions.

Pure rendering of :class:`Dataset` records; no store access. Counts hidden
as small cells are left out, never published as a number.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from socle.catalog.catalog import Dataset

EU = "http://publications.europa.eu/resource/authority/"
CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "dqv": "http://www.w3.org/ns/dqv#",
    "csvw": "http://www.w3.org/ns/csvw#",
    "dpv": "https://w3id.org/dpv#",
    "healthdcatap": "http://healthdataportal.eu/ns/health#",
    "socle": "urn:socle:vocab#",
}
# EU data themes (https://op.europa.eu/en/web/eu-vocabularies/concept-scheme/-/resource?uri=http://publications.europa.eu/resource/authority/data-theme)
EU_THEMES = {"AGRI", "ECON", "EDUC", "ENER", "ENVI", "GOVE", "HEAL", "INTR", "JUST", "REGI",
             "SOCI", "TECH", "TRAN", "OP_DATPRO"}  # fmt: skip
ACCESS = {"public": "PUBLIC", "restricted": "RESTRICTED", "non-public": "NON_PUBLIC"}
FREQUENCY = {
    "continuous": "CONT", "daily": "DAILY", "weekly": "WEEKLY", "monthly": "MONTHLY",
    "quarterly": "QUARTERLY", "annual": "ANNUAL", "irregular": "IRREG",
}  # fmt: skip


def dataset_iri(dataset_id: str) -> str:
    return f"urn:socle:dataset:{dataset_id}"


def to_jsonld(datasets: Sequence[Dataset], *, catalog_title: str) -> dict[str, Any]:
    """A JSON-LD document: one ``dcat:Catalog`` and its ``dcat:Dataset`` nodes."""
    catalog = {
        "@id": "urn:socle:catalog",
        "@type": "dcat:Catalog",
        "dct:title": catalog_title,
        "dcat:dataset": [{"@id": dataset_iri(d.id)} for d in datasets],
    }
    return {"@context": CONTEXT, "@graph": [catalog, *(_dataset(d) for d in datasets)]}


def _dataset(d: Dataset) -> dict[str, Any]:
    node: dict[str, Any] = {
        "@id": dataset_iri(d.id),
        "@type": "dcat:Dataset",
        "dct:identifier": d.id,
        "dct:title": d.title,
        "dct:description": d.description,
        "dct:publisher": {"@type": "foaf:Agent", "foaf:name": d.publisher},
        "dcat:theme": [_theme(t) for t in d.themes],
        "dcat:keyword": list(d.keywords),
        "dct:accessRights": {"@id": f"{EU}access-right/{ACCESS[d.access_rights]}"},
        "dct:accrualPeriodicity": {"@id": f"{EU}frequency/{FREQUENCY[d.update_frequency]}"},
        "csvw:tableSchema": {
            "@type": "csvw:Schema",
            "csvw:column": [
                {
                    "@type": "csvw:Column",
                    "csvw:name": f"{v.table}.{v.column}",
                    "csvw:datatype": v.type,
                    "dct:description": v.description,
                    "socle:completeness": (
                        round(v.completeness, 4) if v.completeness is not None else None
                    ),
                    "socle:distinctValues": v.distinct_values,
                }
                for v in d.variables
            ],
        },
    }
    if d.registered_at:
        node["dct:issued"] = {"@value": d.registered_at, "@type": "xsd:dateTime"}
    if d.contact:
        node["dcat:contactPoint"] = {"@type": "vcard:Kind", "vcard:hasEmail": _mailto(d.contact)}
    if d.coverage_start or d.coverage_end:
        period: dict[str, Any] = {"@type": "dct:PeriodOfTime"}
        if d.coverage_start:
            period["dcat:startDate"] = {"@value": d.coverage_start.isoformat(), "@type": "xsd:date"}
        if d.coverage_end:
            period["dcat:endDate"] = {"@value": d.coverage_end.isoformat(), "@type": "xsd:date"}
        node["dct:temporal"] = period
    if d.population_coverage:
        node["healthdcatap:populationCoverage"] = d.population_coverage
    if d.population is not None:  # hidden below the small-cell threshold
        node["healthdcatap:numberOfUniqueIndividuals"] = {
            "@value": d.population,
            "@type": "xsd:nonNegativeInteger",
        }
    if d.legal_basis:
        node["dpv:hasLegalBasis"] = d.legal_basis
    if d.quality:
        node["dqv:hasQualityMeasurement"] = [
            {"@type": "dqv:QualityMeasurement", "dqv:isMeasurementOf": f"socle:{k}", "dqv:value": v}
            for k, v in sorted(d.quality.items())
        ]
    return node


def _theme(theme: str) -> dict[str, str]:
    return {"@id": f"{EU}data-theme/{theme}"} if theme in EU_THEMES else {"@value": theme}


def _mailto(contact: str) -> str:
    return contact if contact.startswith(("mailto:", "http")) else f"mailto:{contact}"
