"""Warehouse: the OMOP CDM v5.4 store on DuckDB, with one checked read path."""

from socle.warehouse.errors import RekeyError, ScopeError, VocabularyError, WarehouseError
from socle.warehouse.ledger import LedgerEntry
from socle.warehouse.membership import population_includes
from socle.warehouse.profile import (
    ColumnProfile,
    age_sex_pyramid,
    column_profiles,
    implausible_counts,
    temporal_coverage,
)
from socle.warehouse.schema import CDM
from socle.warehouse.scope import GrantScope, PersonFilter, Population
from socle.warehouse.warehouse import BatchWriter, ScopedReader, Warehouse

__all__ = [
    "CDM",
    "BatchWriter",
    "ColumnProfile",
    "GrantScope",
    "LedgerEntry",
    "PersonFilter",
    "Population",
    "RekeyError",
    "ScopeError",
    "ScopedReader",
    "VocabularyError",
    "Warehouse",
    "WarehouseError",
    "age_sex_pyramid",
    "column_profiles",
    "implausible_counts",
    "population_includes",
    "temporal_coverage",
]
