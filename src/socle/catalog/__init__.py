"""Catalogue: datasets, metadata, variable dictionary, counts, DCAT export and search."""

from socle.catalog.catalog import (
    ACCESS_RIGHTS,
    FREQUENCIES,
    TABLES,
    Catalog,
    CatalogError,
    Counts,
    Dataset,
    Variable,
)
from socle.catalog.dcat import to_jsonld
from socle.catalog.dictionary import HIGH_RISK, describe, high_risk

__all__ = [
    "ACCESS_RIGHTS",
    "FREQUENCIES",
    "HIGH_RISK",
    "TABLES",
    "Catalog",
    "CatalogError",
    "Counts",
    "Dataset",
    "Variable",
    "describe",
    "high_risk",
    "to_jsonld",
]
