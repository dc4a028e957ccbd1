"""Warehouse: the OMOP CDM v5.4 store on DuckDB, with one checked read path."""

from socle.warehouse.achilles import AchillesRun
from socle.warehouse.attach import PersonKeys
from socle.warehouse.engine import DuckDBEngine, Engine
from socle.warehouse.engine_reader import EngineReader
from socle.warehouse.errors import (
    QueryLimitError,
    RekeyError,
    ScopeError,
    VocabularyError,
    WarehouseBusyError,
    WarehouseError,
)
from socle.warehouse.ledger import LedgerEntry
from socle.warehouse.mapping import DOMAIN_TABLE, EVENT_TABLES
from socle.warehouse.mapping_report import MappingReport, MappingShare
from socle.warehouse.membership import population_includes
from socle.warehouse.parquet import DEFAULT_BUCKETS, ParquetCDM, merge_parquet, open_cdm
from socle.warehouse.portable import for_engine, scoped_views
from socle.warehouse.profile import (
    ColumnProfile,
    age_sex_pyramid,
    column_profiles,
    implausible_counts,
    temporal_coverage,
)
from socle.warehouse.schema import CDM, EVENT_DATE, EVENT_END, PRIMARY_KEYS
from socle.warehouse.schema import VOCABULARY as VOCABULARY_TABLES
from socle.warehouse.scope import GrantScope, PersonFilter, Population, sex_label
from socle.warehouse.spark import SparkEngine, spark_engine, spark_session
from socle.warehouse.sql_check import QueryRefusedError
from socle.warehouse.warehouse import BatchWriter, ScopedReader, Warehouse

__all__ = [
    "CDM",
    "DEFAULT_BUCKETS",
    "DOMAIN_TABLE",
    "EVENT_DATE",
    "EVENT_END",
    "EVENT_TABLES",
    "PRIMARY_KEYS",
    "VOCABULARY_TABLES",
    "AchillesRun",
    "BatchWriter",
    "ColumnProfile",
    "DuckDBEngine",
    "Engine",
    "EngineReader",
    "GrantScope",
    "LedgerEntry",
    "MappingReport",
    "MappingShare",
    "ParquetCDM",
    "PersonFilter",
    "PersonKeys",
    "Population",
    "QueryLimitError",
    "QueryRefusedError",
    "RekeyError",
    "ScopeError",
    "ScopedReader",
    "SparkEngine",
    "VocabularyError",
    "Warehouse",
    "WarehouseBusyError",
    "WarehouseError",
    "age_sex_pyramid",
    "column_profiles",
    "for_engine",
    "implausible_counts",
    "merge_parquet",
    "open_cdm",
    "population_includes",
    "scoped_views",
    "sex_label",
    "spark_engine",
    "spark_session",
    "temporal_coverage",
]
