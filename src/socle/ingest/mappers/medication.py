"""MedicationRequest / MedicationStatement / MedicationAdministration → drug_exposure."""

from __future__ import annotations

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


def map_drug(resource: dict[str, Any], ctx: MappingContext) -> Mapped:
    coding = ctx.remember(_medication_coding(resource, ctx))
    start, start_at = parse_datetime(_start(resource), "authoredOn/effective[x]")
    end, end_at = optional_datetime((resource.get("effectivePeriod") or {}).get("end"), "end")
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
