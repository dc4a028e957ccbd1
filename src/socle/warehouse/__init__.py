"""Warehouse: the OMOP CDM v5.4 store on DuckDB, with one checked read path."""

from socle.warehouse.achilles import AchillesRun
from socle.warehouse.errors import RekeyError, ScopeError, VocabularyError, WarehouseError
from socle.warehouse.mapping_report import MappingReport, MappingShare
from socle.warehouse.profile import (
    ColumnProfile,
    age_sex_pyramid,
    column_profiles,
    implausible_counts,
    temporal_coverage,
)
from socle.warehouse.schema import CDM
from socle.warehouse.schema import VOCABULARY as VOCABULARY_TABLES
from socle.warehouse.scope import GrantScope, PersonFilter, Population
from socle.warehouse.warehouse import BatchWriter, ScopedReader, Warehouse

__all__ = [
    "CDM",
    "AchillesRun",
    "BatchWriter",
    "ColumnProfile",
    "GrantScope",
    "MappingReport",
    "MappingShare",
    "PersonFilter",
    "Population",
    "RekeyError",
    "ScopeError",
    "ScopedReader",
    "VOCABULARY_TABLES",
    "VocabularyError",
    "Warehouse",
    "WarehouseError",
    "age_sex_pyramid",
    "column_profiles",
    "implausible_counts",
    "temporal_coverage",
]
