"""The data steward's quality runs on the warehouse, each audited (counts and outcome only)."""

from __future__ import annotations

from pathlib import Path

from socle.audit import AuditLog
from socle.quality.report import QualityReport, build_report
from socle.roles import Role
from socle.warehouse import AchillesRun, Warehouse


class Quality:
    """The data-quality report and OHDSI Achilles, written under ``reports_dir``."""

    def __init__(
        self, warehouse: Warehouse, audit: AuditLog, reports_dir: Path, small_cell: int
    ) -> None:
        self.warehouse, self.audit = warehouse, audit
        self.reports_dir, self.small_cell = reports_dir, small_cell

    def report(self, *, actor: str) -> QualityReport:
        """Check the warehouse (conformance, completeness, plausibility) and write the report."""
        report = build_report(self.warehouse, self.reports_dir)
        self.audit.record(
            actor=actor, role=Role.DATA_STEWARD, action="quality.report",
            object=report.html_path.name, outcome="ok" if report.passed else "issues",
            details={"implausible": sum(report.implausible.values())},
        )  # fmt: skip
        return report

    def achilles(self, *, actor: str) -> AchillesRun:
        """Run OHDSI Achilles on the warehouse; audit how many analyses ran and failed."""
        run = self.warehouse.achilles(small_cell=self.small_cell)
        self.audit.record(
            actor=actor, role=Role.DATA_STEWARD, action="quality.achilles", object="results",
            outcome="ok" if not run.failed else "issues",
            details={"analyses": run.analyses, "failed": len(run.failed)},
        )  # fmt: skip
        return run
