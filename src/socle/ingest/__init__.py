"""Ingest: FHIR R4 readers, resource → OMOP CDM mappers, quarantine."""

from socle.ingest.bulk import BulkSummary, ingest_partitioned, split_by_patient
from socle.ingest.errors import IngestError, KeyRotationError, MappingError, NoInputError
from socle.ingest.loader import ingest
from socle.ingest.note_intake import NoteIntake
from socle.ingest.reader import ReadLimits, SourceItem, input_files, read_file
from socle.ingest.rotation import RotationSummary, rotate_pseudonym_key
from socle.ingest.steward import StewardSettings, WarehouseSteward
from socle.ingest.summary import LoadSummary, QuarantinedRecord

__all__ = [
    "BulkSummary",
    "IngestError",
    "KeyRotationError",
    "LoadSummary",
    "MappingError",
    "NoInputError",
    "NoteIntake",
    "QuarantinedRecord",
    "ReadLimits",
    "RotationSummary",
    "SourceItem",
    "StewardSettings",
    "WarehouseSteward",
    "ingest",
    "ingest_partitioned",
    "input_files",
    "read_file",
    "rotate_pseudonym_key",
    "split_by_patient",
]
