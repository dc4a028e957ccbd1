"""Guarantee: decision support whose every prediction awaits a clinician's decision."""

from socle.guarantee.service import GuaranteeError, HumanGuarantee, Prediction

__all__ = ["GuaranteeError", "HumanGuarantee", "Prediction"]
