"""Guarantee: decision support whose every prediction awaits a clinician's decision,
monitoring of models in care, FHIR export of decisions, and the human-guarantee college."""

from socle.guarantee.college import College, CollegeDecision, CollegeMember
from socle.guarantee.fhir import decisions_bundle
from socle.guarantee.monitoring import Alert, Monitoring, MonitoringReport, load_monitoring_policy
from socle.guarantee.outcomes import OUTCOME_PURPOSE, OutcomeLinker, OutcomeLinks
from socle.guarantee.reasons import GuaranteeError, Reason, ReasonTaxonomy, reason_taxonomy
from socle.guarantee.service import TABLES, HumanGuarantee, ModelUsage, Prediction

__all__ = [
    "OUTCOME_PURPOSE",
    "TABLES",
    "Alert",
    "College",
    "CollegeDecision",
    "CollegeMember",
    "GuaranteeError",
    "HumanGuarantee",
    "ModelUsage",
    "Monitoring",
    "MonitoringReport",
    "OutcomeLinker",
    "OutcomeLinks",
    "Prediction",
    "Reason",
    "ReasonTaxonomy",
    "decisions_bundle",
    "load_monitoring_policy",
    "reason_taxonomy",
]
