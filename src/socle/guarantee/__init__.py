"""Guarantee: decision support whose every prediction awaits a clinician's decision."""

from socle.guarantee.service import GuaranteeError, HumanGuarantee, ModelUsage, Prediction

__all__ = ["GuaranteeError", "HumanGuarantee", "ModelUsage", "Prediction"]
