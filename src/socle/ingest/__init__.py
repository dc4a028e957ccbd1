"""Ingest: FHIR R4 readers, resource → OMOP CDM mappers, quarantine."""

from socle.ingest.errors import IngestError, MappingError, NoInputError
from socle.ingest.loader import LoadSummary, QuarantinedRecord, ingest
from socle.ingest.reader import SourceItem, input_files, read_file

__all__ = [
    "IngestError",
    "LoadSummary",
    "MappingError",
    "NoInputError",
    "QuarantinedRecord",
    "SourceItem",
    "ingest",
    "input_files",
    "read_file",
]
