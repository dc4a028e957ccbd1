"""DocumentReference and DiagnosticReport.presentedForm → note, its text held for de-identification.

The mapper places the note (person, visit, author, date, type) like any
record; its text stays out of the row. The loader holds it and, at the end
of the load — once the patient's vault entry and the load's directory are
known — stores only what :mod:`socle.notes` made of it (see
:mod:`socle.ingest.notes`).
"""

from __future__ import annotations

from typing import Any

from socle.ingest.context import MappingContext
from socle.ingest.dates import patient_source_id
from socle.ingest.errors import MappingError
from socle.ingest.fhir import directory_key, first_coding, optional_datetime, source_value
from socle.ingest.mappers import HeldText, Mapped, mapper

NOTE_TYPE_EHR = 32817
ENCODING_UTF8 = 32678


def carries_note(resource: dict[str, Any] | None) -> bool:
    """Whether a resource Socle otherwise skips holds note text (a report's presentedForm)."""
    return bool(
        resource
        and resource.get("resourceType") == "DiagnosticReport"
        and resource.get("presentedForm")
    )


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else None


def _note(
    resource: dict[str, Any],
    ctx: MappingContext,
    held: HeldText,
    when: Any,
    author: Any,
    encounter: Any,
    kind: Any,
) -> Mapped:
    day, at = optional_datetime(when, "date")
    if day is None:
        raise MappingError("note has no date (date, context.period.start or effectiveDateTime)")
    practitioner = directory_key(author) if author else None
    try:
        coding = ctx.remember(first_coding(kind, "type"))
    except MappingError:
        coding = None  # a note without a coded type is still a note
    row = {
        "note_id": ctx.record_id(resource),
        "person_id": ctx.person_id(resource.get("subject")),
        "note_date": day,
        "note_datetime": at,
        "note_type_concept_id": NOTE_TYPE_EHR,
        "note_class_concept_id": 0,
        "note_title": None,  # a producer's title is free text: not kept
        "note_text": None,  # filled with the de-identified text only
        "encoding_concept_id": ENCODING_UTF8,
        "language_concept_id": 0,
        "provider_id": ctx.pseudo.id("Practitioner", practitioner) if practitioner else None,
        "visit_occurrence_id": ctx.visit_id(encounter),
        "visit_detail_id": None,
        "note_source_value": source_value(coding) if coding else None,
        "note_event_id": None,
        "note_event_field_concept_id": 0,
    }
    return Mapped(rows=[("note", row)], note=held)


@mapper("DocumentReference")
def map_document(resource: dict[str, Any], ctx: MappingContext) -> Mapped:
    content = resource.get("content")
    attachments = [c.get("attachment") for c in content or () if isinstance(c, dict)]
    context: dict[str, Any] = resource.get("context") or {}
    context = context if isinstance(context, dict) else {}
    period: dict[str, Any] = context.get("period") or {}
    period = period if isinstance(period, dict) else {}
    copies = next(  # Synthea names the DiagnosticReport this note repeats
        (
            value.split(":" if value.startswith("urn:uuid:") else "/")[-1]
            for i in resource.get("identifier") or ()
            if isinstance(i, dict)
            for value in [str(i.get("value", ""))]
            if value.startswith(("urn:uuid:", "DiagnosticReport/"))
        ),
        None,
    )
    held = HeldText(attachments, "content.attachment", patient_source_id(resource), copies)
    return _note(
        resource, ctx, held, resource.get("date") or period.get("start"),
        _first(resource.get("author")), _first(context.get("encounter")), resource.get("type"),
    )  # fmt: skip


@mapper("DiagnosticReport")
def map_report(resource: dict[str, Any], ctx: MappingContext) -> Mapped:
    forms = resource.get("presentedForm")
    held = HeldText(list(forms or ()), "presentedForm", patient_source_id(resource))
    return _note(
        resource, ctx, held, resource.get("effectiveDateTime") or resource.get("issued"),
        _first(resource.get("performer")), resource.get("encounter"), resource.get("code"),
    )  # fmt: skip
