"""Release: automatic output checks, the release desk, the disclosure ledger, DP budgets.

Nothing leaves a workspace except through :class:`ReleaseDesk`. The workspace
hands it :class:`Output` objects (built with the builders below from a query
result or a job's output file); the desk checks them, takes two independent
output checkers' decisions, writes and hashes the released files, and records
every released cell in the ledger that later requests are checked against.
"""

from socle.release.anonymise import AnonymisationError
from socle.release.checks import Check, CheckReport, check_output
from socle.release.desk import ReleaseDesk
from socle.release.differencing import Finding, LedgerTable, find_differencing
from socle.release.dp import DPResult, dp_count, dp_histogram, dp_mean, dp_sum
from socle.release.errors import BudgetError, DeskError, NotFoundError, OutputError, ReleaseError
from socle.release.extracts import AnonymisedExtract, anonymised_extract
from socle.release.files import output_from_file
from socle.release.grid import Grid, counts_table, frequency_table, magnitude_table
from socle.release.hierarchies import HIERARCHIES
from socle.release.ledger import Budget, LedgerEntry
from socle.release.outputs import (
    Histogram,
    MetricRow,
    ModelMetrics,
    Output,
    OutputKind,
    Population,
    Regression,
    Statistics,
    SurvivalCurve,
    histogram,
    kaplan_meier,
    regression_from_statsmodels,
    statistics,
)
from socle.release.policy import ReleasePolicy, load_policy
from socle.release.records import Item, OutputRequest, ReviewRecord
from socle.release.tables import TABLES

__all__ = [
    "HIERARCHIES",
    "TABLES",
    "AnonymisationError",
    "AnonymisedExtract",
    "Budget",
    "BudgetError",
    "Check",
    "CheckReport",
    "DPResult",
    "DeskError",
    "Finding",
    "Grid",
    "Histogram",
    "Item",
    "LedgerEntry",
    "LedgerTable",
    "MetricRow",
    "ModelMetrics",
    "NotFoundError",
    "Output",
    "OutputError",
    "OutputKind",
    "OutputRequest",
    "Population",
    "Regression",
    "ReleaseDesk",
    "ReleaseError",
    "ReleasePolicy",
    "ReviewRecord",
    "Statistics",
    "SurvivalCurve",
    "anonymised_extract",
    "check_output",
    "counts_table",
    "dp_count",
    "dp_histogram",
    "dp_mean",
    "dp_sum",
    "find_differencing",
    "frequency_table",
    "histogram",
    "kaplan_meier",
    "load_policy",
    "magnitude_table",
    "output_from_file",
    "regression_from_statsmodels",
    "statistics",
]
