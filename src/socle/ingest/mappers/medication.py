"""MedicationRequest / MedicationStatement / MedicationAdministration → drug_exposure."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from socle.ingest.context import MappingContext
from socle.ingest.errors import UnresolvedReferenceError
from socle.ingest.fhir import (
    Coding,
    first_coding,
    optional_datetime,
    optional_reference,
    parse_datetime,
    source_value,
)
from socle.ingest.mappers import Mapped, mapper

TYPE_CONCEPT = {
    "MedicationRequest": 32838,  # EHR prescription
    "MedicationStatement": 32865,  # Patient self-report
    "MedicationAdministration": 32818,  # EHR administration record
}


def _medication_coding(resource: dict[str, Any], ctx: MappingContext) -> Coding:
    if "medicationCodeableConcept" in resource:
        return first_coding(resource["medicationCodeableConcept"], "medicationCodeableConcept")
    ref = optional_reference(resource.get("medicationReference"))
    medication = ctx.resolve(ref or "")
    if medication is None:
        raise UnresolvedReferenceError(
            "medicationReference does not resolve to a Medication in the input"
        )
    return first_coding(medication.get("code"), "Medication.code")


def _start(resource: dict[str, Any]) -> Any:
    period = resource.get("effectivePeriod") or {}
    return (
        resource.get("authoredOn")
        or resource.get("effectiveDateTime")
        or period.get("start")
        or resource.get("dateAsserted")
    )


def _supply(resource: dict[str, Any]) -> tuple[int | None, float | None]:
    """Days supply and quantity of a MedicationRequest's dispense request (when given)."""
    dispense = resource.get("dispenseRequest")
    if not isinstance(dispense, dict):
        return None, None
    duration = dispense.get("expectedSupplyDuration") or {}
    days = duration.get("value") if isinstance(duration, dict) else None
    if isinstance(days, int | float) and str(duration.get("code") or "d") in ("d", "day", "days"):
        days_supply: int | None = int(days)
    else:
        days_supply = None
    quantity = (dispense.get("quantity") or {}).get("value")
    return days_supply, float(quantity) if isinstance(quantity, int | float) else None


def map_drug(resource: dict[str, Any], ctx: MappingContext) -> Mapped:
    if optional_reference(resource.get("request")) in ctx.resources_by_id:
        return Mapped()  # an administration of a request of this input: the request is the exposure
    coding = ctx.remember(_medication_coding(resource, ctx))
    start, start_at = parse_datetime(_start(resource), "authoredOn/effective[x]")
    end, end_at = optional_datetime((resource.get("effectivePeriod") or {}).get("end"), "end")
    verbatim_end = end
    days_supply, quantity = _supply(resource)
    if end is None and days_supply:
        end = start + timedelta(days=days_supply)
    elif end is not None and days_supply is None:
        days_supply = (end - start).days
    encounter = resource.get("encounter") or resource.get("context")
    return Mapped(
        rows=[
            (
                "drug_exposure",
                {
                    "drug_exposure_id": ctx.record_id(resource),
                    "person_id": ctx.person_id(resource.get("subject")),
                    "drug_concept_id": 0,
                    "drug_exposure_start_date": start,
                    "drug_exposure_start_datetime": start_at,
                    "drug_exposure_end_date": end or start,
                    "drug_exposure_end_datetime": end_at,
                    "verbatim_end_date": verbatim_end,
                    "days_supply": days_supply,
                    "quantity": quantity,
                    "drug_type_concept_id": TYPE_CONCEPT[resource["resourceType"]],
                    "visit_occurrence_id": ctx.visit_id(encounter),
                    "drug_source_value": source_value(coding),
                    "drug_source_concept_id": 0,
                },
            )
        ]
    )


for _name in TYPE_CONCEPT:
    mapper(_name)(map_drug)
