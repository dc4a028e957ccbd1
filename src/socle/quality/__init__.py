"""Quality: data-quality checks and reports of each load."""

from socle.quality.report import QualityReport, build_report

__all__ = ["QualityReport", "build_report"]
