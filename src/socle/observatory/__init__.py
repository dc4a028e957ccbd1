"""Observatory: a reviewed, versioned map of AI tools and health databases, fed live by
this node's models, with a published, reproducible Top 10 per category and vigilance."""

from socle.observatory.errors import (
    EntryNotFoundError,
    MethodError,
    ObservatoryError,
    WorkflowError,
)
from socle.observatory.exchange import CSV_COLUMNS, parse_csv, parse_json, public_json
from socle.observatory.fda import FdaImport, Unmapped, load_fda_mapping
from socle.observatory.live import LiveEvidence
from socle.observatory.model import (
    DatabaseData,
    Deployment,
    DeviceStatus,
    EntryData,
    FdaStatus,
    HumanGuaranteePlan,
    Incident,
    LiveFigures,
    Study,
    ToolData,
    TrainingData,
    parse_entry,
)
from socle.observatory.rankings import AdoptedMethod, Rankings, as_of_time
from socle.observatory.registry import BatchResult, Entry, PublishedEntry, Registry, Version
from socle.observatory.review import REVIEWER, Declaration, Reviews
from socle.observatory.scoring import (
    Contribution,
    Method,
    Ranking,
    Scored,
    explain,
    packaged_method_text,
    parse_method,
)
from socle.observatory.service import ImportResult, Observatory
from socle.observatory.tables import TABLES
from socle.observatory.taxonomy import UNCLASSIFIED, load_observatory_taxonomy
from socle.observatory.vigilance import Alert

__all__ = [
    "CSV_COLUMNS",
    "REVIEWER",
    "TABLES",
    "UNCLASSIFIED",
    "AdoptedMethod",
    "Alert",
    "BatchResult",
    "Contribution",
    "DatabaseData",
    "Declaration",
    "Deployment",
    "DeviceStatus",
    "Entry",
    "EntryData",
    "EntryNotFoundError",
    "FdaImport",
    "FdaStatus",
    "HumanGuaranteePlan",
    "ImportResult",
    "Incident",
    "LiveEvidence",
    "LiveFigures",
    "Method",
    "MethodError",
    "Observatory",
    "ObservatoryError",
    "PublishedEntry",
    "Ranking",
    "Rankings",
    "Registry",
    "Reviews",
    "Scored",
    "Study",
    "ToolData",
    "TrainingData",
    "Unmapped",
    "Version",
    "WorkflowError",
    "as_of_time",
    "explain",
    "load_fda_mapping",
    "load_observatory_taxonomy",
    "packaged_method_text",
    "parse_csv",
    "parse_entry",
    "parse_json",
    "parse_method",
    "public_json",
]
