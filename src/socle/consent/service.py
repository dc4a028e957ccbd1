"""Consent service functions for the CLI and the API.

Patients are named here by their *source* patient id only: each is matched
to its pseudonymous ``person_id`` through the identity vault (the resolver
the node gives), so nobody can ask about a person by raw ``person_id``. Every
write goes through :meth:`ConsentRegistry.record` (checked, atomic, audited).
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Protocol

import orjson

from socle.consent.errors import MalformedConsentError, UnknownPatientError
from socle.consent.fhir import consent_resources, kind_for, parse_consent, to_fhir
from socle.consent.purposes import Purpose
from socle.consent.registry import ConsentEvent, ConsentRegistry
from socle.consent.transparency import (
    Choice,
    ImpactedProject,
    ProjectDirectory,
    ProjectUse,
    choices,
    impacted_projects,
    projects_used,
    uses,
)
from socle.privacy import VaultError
from socle.roles import Role

Resolver = Callable[[str], int]
ScopeCheck = Callable[[str, int], bool]  # whether a grant's population covers a person
BulkProgress = Callable[[str, int, int], None]


class _NodeLike(Protocol):
    consents: ConsentService


@dataclass(frozen=True)
class ImportSummary:
    consents: int
    events: int
    persons: int


class ConsentService:
    """The steward's and the patient's consent operations, by source patient id."""

    def __init__(
        self,
        registry: ConsentRegistry,
        resolve: Resolver,
        projects: ProjectDirectory,
        in_scope: ScopeCheck = lambda grant_id, person_id: True,
    ) -> None:
        self.registry, self._resolve, self.directory = registry, resolve, projects
        self.taxonomy, self._in_scope = registry.taxonomy, in_scope

    @staticmethod
    def for_node(node: _NodeLike) -> ConsentService:
        """The node's one consent service (built by :class:`socle.node.Node`); kept for callers
        of the earlier API, new code reads ``node.consents``."""
        return node.consents

    def person(self, source_patient_id: str, where: str = "") -> int:
        """The pseudonymous person id, or :class:`UnknownPatientError` naming the record."""
        try:
            return self._resolve(source_patient_id)
        except VaultError as exc:
            at = f"{where}: " if where else ""
            raise UnknownPatientError(
                f"{at}no patient with this source identifier in the identity vault"
            ) from exc

    # -- reading --------------------------------------------------------------------

    def purposes(self) -> list[Purpose]:
        return list(self.taxonomy.purposes.values())

    def choices(self, source_patient_id: str, on: date | None = None) -> list[Choice]:
        """Current choice per purpose (and since when) of a patient."""
        history = self.registry.history(self.person(source_patient_id))
        return choices(self.taxonomy, history, on or _today())

    def history(self, source_patient_id: str) -> list[ConsentEvent]:
        return self.registry.history(self.person(source_patient_id))

    def projects(self, source_patient_id: str) -> list[ProjectUse]:
        """Every project that used the patient's data while their choice allowed it."""
        return self.projects_of_person(self.person(source_patient_id))

    def projects_of_person(self, person_id: int) -> list[ProjectUse]:
        """:meth:`projects` for a person already identified (e.g. a signed-in patient account)."""
        history = self.registry.history(person_id)
        return projects_used(
            self.taxonomy, history, uses(self.registry.audit), self.directory,
            lambda grant_id: self._in_scope(grant_id, person_id),
        )  # fmt: skip

    def impact_report(self, *, actor: str, on: date | None = None) -> list[ImpactedProject]:
        """Outputs already released for persons since excluded, per project (audited)."""
        today = on or _today()
        excluded = {
            code: h
            for code in self.taxonomy.purposes
            if (h := self.registry.excluded_histories(code, today))
        }
        report = impacted_projects(
            self.taxonomy, excluded, uses(self.registry.audit), self.directory, self._in_scope
        )
        self.registry.audit.record(
            actor=actor, role=Role.DATA_STEWARD, action="consent.impact_report",
            object=f"impacted projects x{len(report)}",
            details={"projects": len(report), "outputs": sum(len(p.outputs) for p in report)},
        )  # fmt: skip
        return report

    # -- writing --------------------------------------------------------------------

    def record_choice(
        self,
        source_patient_id: str,
        purposes: list[str],
        kind: str,
        *,
        channel: str,
        actor: str,
        role: str,
        effective: date | None = None,
    ) -> list[ConsentEvent]:
        """Record one patient's choice for one or more purposes, all or nothing."""
        person = self.person(source_patient_id)
        when = effective or _today()
        events = [ConsentEvent(person, p, kind, when, channel, actor) for p in purposes]  # type: ignore[arg-type]
        self.registry.record(events, actor=actor, role=role)
        return events

    def import_fhir(self, path: Path, *, actor: str) -> ImportSummary:
        """Record every Consent of a JSON (Consent or Bundle) or NDJSON file, all or nothing."""
        events: list[ConsentEvent] = []
        labels: list[str] = []
        consents = 0
        for label, resource in _fhir_documents(path):
            parsed = parse_consent(resource, label, self.taxonomy)
            person = self.person(parsed.source_patient_id, parsed.label)
            consents += 1
            for code in parsed.purposes:
                kind = kind_for(parsed.provision, self.taxonomy.get(code).rule)
                events.append(
                    ConsentEvent(person, code, kind, parsed.effective, "fhir_import", actor)  # type: ignore[arg-type]
                )
                labels.append(parsed.label)
        if not events:
            raise MalformedConsentError(f"{path.name}: holds no Consent resource")
        self.registry.record(events, actor=actor, role=Role.DATA_STEWARD, labels=labels)
        return ImportSummary(consents, len(events), len({e.person_id for e in events}))

    def export_fhir(self, source_patient_id: str) -> dict[str, Any]:
        """A FHIR R4 Bundle (collection) of the patient's history as Consent resources."""
        return self.export_fhir_of_person(
            self.person(source_patient_id), f"Patient/{source_patient_id}"
        )

    def export_fhir_of_person(self, person_id: int, reference: str) -> dict[str, Any]:
        """:meth:`export_fhir` for a person already identified (a signed-in patient account),
        the patient referred to as ``reference``."""
        history = self.registry.history(person_id)
        return {
            "resourceType": "Bundle",
            "type": "collection",
            "entry": [{"resource": to_fhir(e, reference, i)} for i, e in enumerate(history, 1)],
        }

    def bulk_load(
        self,
        path: Path,
        *,
        purposes: list[str],
        kind: str = "objection",
        effective: date | None = None,
        channel: str = "registry_sync",
        actor: str,
        on_progress: BulkProgress | None = None,
    ) -> int:
        """Load a CSV of patients (column ``patient``; optional ``purpose``, ``kind``,
        ``effective`` override the defaults per line) in one transaction."""
        when = effective or _today()
        rows = _read_bulk(path)
        total = len(rows)
        events: list[ConsentEvent] = []
        labels: list[str] = []
        step = max(total // 100, 1)
        for n, (line, row) in enumerate(rows, 1):
            where = f"{path.name} line {line}"
            person = self.person(row["patient"], where)
            row_when = _bulk_date(row.get("effective"), where) or when
            codes = [row["purpose"]] if row.get("purpose") else purposes
            if not codes:
                raise MalformedConsentError(
                    f"{where}: no purpose; give one with --purpose or in a 'purpose' column"
                )
            for code in codes:
                events.append(
                    ConsentEvent(
                        person, code, row.get("kind") or kind, row_when, channel, actor,  # type: ignore[arg-type]
                    )
                )  # fmt: skip
                labels.append(where)
            if on_progress and (n % step == 0 or n == total):
                on_progress("matching", n, total)
        if not events:
            raise MalformedConsentError(f"{path.name}: holds no patient")
        return self.registry.record(
            events,
            actor=actor,
            role=Role.DATA_STEWARD,
            labels=labels,
            on_progress=(lambda d, t: on_progress("recording", d, t)) if on_progress else None,
        )


def _today() -> date:
    return datetime.now(UTC).date()


def _fhir_documents(path: Path) -> list[tuple[str, Any]]:
    if not path.is_file():
        raise MalformedConsentError(f"{path}: no such file")
    text = path.read_bytes()
    found: list[tuple[str, Any]] = []
    if path.suffix == ".ndjson":
        for n, line in enumerate(text.splitlines(), 1):
            if line.strip():
                found.extend(
                    consent_resources(_json(line, f"{path.name} line {n}"), f"{path.name} line {n}")
                )
        return found
    return consent_resources(_json(text, path.name), path.name)


def _json(data: bytes, label: str) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise MalformedConsentError(f"{label}: not valid JSON ({exc})") from exc


def _read_bulk(path: Path) -> list[tuple[int, dict[str, str]]]:
    if not path.is_file():
        raise MalformedConsentError(f"{path}: no such file")
    with path.open(newline="") as f:
        reader = csv.DictReader(f)
        if not reader.fieldnames or "patient" not in reader.fieldnames:
            raise MalformedConsentError(
                f"{path.name} line 1: the header must name a 'patient' column "
                "(optional: purpose, kind, effective)"
            )
        rows = []
        for row in reader:
            if not (row.get("patient") or "").strip():
                raise MalformedConsentError(f"{path.name} line {reader.line_num}: no patient id")
            rows.append((reader.line_num, {k: (v or "").strip() for k, v in row.items() if k}))
    return rows


def _bulk_date(text: str | None, where: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise MalformedConsentError(
            f"{where}: effective '{text}' is not a date (YYYY-MM-DD)"
        ) from exc
