"""Ingest: FHIR R4 readers, resource → OMOP CDM mappers, quarantine."""

from socle.ingest.errors import IngestError, MappingError, NoInputError
from socle.ingest.loader import LoadSummary, QuarantinedRecord, ingest

__all__ = [
    "IngestError",
    "LoadSummary",
    "MappingError",
    "NoInputError",
    "QuarantinedRecord",
    "ingest",
]
