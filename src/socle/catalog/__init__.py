"""Catalogue: datasets, metadata, variable dictionary."""

from socle.catalog.catalog import Catalog, CatalogError, Dataset, Variable

__all__ = ["Catalog", "CatalogError", "Dataset", "Variable"]
