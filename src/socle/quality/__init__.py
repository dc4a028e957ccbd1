"""Quality: data-quality checks and reports of each load."""

from socle.quality.report import QualityReport, build_report
from socle.quality.service import Quality

__all__ = ["Quality", "QualityReport", "build_report"]
