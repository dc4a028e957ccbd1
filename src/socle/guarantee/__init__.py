"""Guarantee: decision support whose every prediction awaits a clinician's decision."""

from socle.guarantee.service import TABLES, GuaranteeError, HumanGuarantee, ModelUsage, Prediction

__all__ = ["TABLES", "GuaranteeError", "HumanGuarantee", "ModelUsage", "Prediction"]
