"""ExplanationOfBenefit → cost (one per visit claim) and payer_plan_period.

Synthea writes a Claim and its ExplanationOfBenefit for each encounter and
medication; the EOB carries both the submitted total and the payer's payment,
so it alone is mapped (the Claim is skipped). A payer plan period is one per
person and payer: its dates span the visits that payer paid (derived after
each load from the costs that name it).
"""

from __future__ import annotations

from typing import Any

from socle.ingest.context import MappingContext
from socle.ingest.errors import MappingError
from socle.ingest.fhir import optional_reference, parse_datetime, reference_id
from socle.ingest.mappers import Mapped, mapper

CLAIM_COST = 32814  # as ETL-Synthea: the cost type of its claim-derived costs
USD = 44818668


def _amount(value: Any) -> float | None:
    amount = (value or {}).get("amount") if isinstance(value, dict) else None
    number = amount.get("value") if isinstance(amount, dict) else None
    return float(number) if isinstance(number, int | float) else None


def _encounter(resource: dict[str, Any]) -> str | None:
    for item in resource.get("item") or ():
        for ref in (item.get("encounter") or ()) if isinstance(item, dict) else ():
            found = optional_reference(ref)
            if found:
                return found
    return None


@mapper("ExplanationOfBenefit")
def map_explanation_of_benefit(resource: dict[str, Any], ctx: MappingContext) -> Mapped:
    person_id = ctx.person_id(resource.get("patient"), "patient")
    encounter = _encounter(resource)
    if encounter is None:
        raise MappingError("ExplanationOfBenefit item names no encounter")
    start, _ = parse_datetime((resource.get("billablePeriod") or {}).get("start"), "billablePeriod")
    submitted = next((_amount(t) for t in resource.get("total") or () if isinstance(t, dict)), None)
    paid = _amount(resource.get("payment"))
    payer = str((resource.get("insurer") or {}).get("display") or "")[:50] or "unknown"
    patient = reference_id(resource.get("patient"), "patient")
    period_id = ctx.pseudo.id("PayerPlanPeriod", f"{patient}|{payer}")
    return Mapped(
        rows=[
            (
                "payer_plan_period",
                {
                    "payer_plan_period_id": period_id,
                    "person_id": person_id,
                    "payer_plan_period_start_date": start,
                    "payer_plan_period_end_date": start,
                    "payer_concept_id": 0,
                    "payer_source_value": payer,
                    "payer_source_concept_id": 0,
                    "plan_concept_id": 0,
                    "sponsor_concept_id": 0,
                    "stop_reason_concept_id": 0,
                },
            ),
            (
                "cost",
                {
                    "cost_id": ctx.record_id(resource),
                    "cost_event_id": ctx.pseudo.id("Encounter", encounter),
                    "cost_domain_id": "Visit",
                    "cost_type_concept_id": CLAIM_COST,
                    "currency_concept_id": USD,
                    "total_charge": submitted,
                    "total_cost": submitted,
                    "total_paid": paid,
                    "paid_by_payer": paid,
                    "paid_by_patient": None
                    if submitted is None or paid is None
                    else round(submitted - paid, 2),
                    "payer_plan_period_id": period_id,
                    "revenue_code_concept_id": 0,
                    "drg_concept_id": 0,
                },
            ),
        ]
    )
