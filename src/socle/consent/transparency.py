"""What a patient may see, and what the committee must act on.

*Uses* of data are read from the audit log — ``workspace.open`` (object: the
grant), ``workspace.release`` and ``model.train`` (details: the grant) — and
described through the governance public API (grant → request → title,
sponsor). A use counts for a patient when the grant's population covered them
and their state, as recorded at the instant of the use, included every purpose
the use needed on that day (e.g. research and AI training for a model) —
exactly what the checkpoint enforced for that read. The *impact report* lists outputs
already released under a purpose for patients who have since been excluded
from it, so the committee can decide what to do with them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from socle.audit import AuditEvent, AuditLog
from socle.consent.purposes import Taxonomy
from socle.consent.registry import ConsentEvent, included

OUTPUT_TYPE = {"workspace.release": "aggregates", "model.train": "model_training"}


class ProjectDirectory(Protocol):
    """The part of governance transparency needs (``socle.governance.Governance`` fits)."""

    def grant(self, grant_id: str) -> Any: ...

    def request(self, request_id: str) -> tuple[Any, str]: ...


@dataclass(frozen=True)
class Choice:
    """A patient's current choice for one purpose."""

    purpose: str
    title: str
    rule: str
    included: bool
    since: date | None  # effective date of the event that set it; None = the default
    channel: str | None


@dataclass(frozen=True)
class Use:
    """One audited use of data under a grant."""

    action: str
    grant_id: str
    purpose: str
    at: datetime
    output_type: str
    object: str

    @property
    def on(self) -> date:
        return self.at.date()


@dataclass(frozen=True)
class ProjectUse:
    """A project that used a patient's data: what the patient is shown."""

    grant_id: str
    title: str
    sponsor: str
    purpose: str
    first_used: date
    last_used: date
    output_types: tuple[str, ...]


@dataclass(frozen=True)
class ReleasedOutput:
    id: str
    output_type: str
    on: date
    excluded_since: int  # persons included when it was released and excluded now


@dataclass(frozen=True)
class ImpactedProject:
    grant_id: str
    title: str
    sponsor: str
    purpose: str
    outputs: tuple[ReleasedOutput, ...]
    persons: int  # distinct persons now excluded whose data may be in the outputs


def choices(taxonomy: Taxonomy, history: list[ConsentEvent], on: date) -> list[Choice]:
    """The current choice per purpose from one person's history."""
    result = []
    for code, purpose in taxonomy.purposes.items():
        last = [e for e in history if e.purpose == code and e.effective <= on]
        result.append(
            Choice(
                code,
                purpose.title,
                purpose.rule,
                included(purpose.rule, history, code, on),
                last[-1].effective if last else None,
                last[-1].channel if last else None,
            )
        )
    return result


def uses(audit: AuditLog) -> list[Use]:
    """Every audited use of data under a grant, oldest first."""
    found: list[Use] = []
    for action in ("workspace.open", *OUTPUT_TYPE):
        for event in audit.events(action):
            found.append(_use(event))
    return sorted(found, key=lambda u: (u.at, u.grant_id, u.action))


def _use(event: AuditEvent) -> Use:
    on = datetime.fromisoformat(event.at)
    if event.action == "workspace.open":
        return Use(
            event.action, event.object, event.purpose, on,
            str(event.details.get("output_type", "")), event.object,
        )  # fmt: skip
    return Use(
        event.action, str(event.details.get("grant", "")), event.purpose, on,
        OUTPUT_TYPE[event.action], event.object,
    )  # fmt: skip


def allowed(taxonomy: Taxonomy, history: list[ConsentEvent], use: Use) -> bool:
    """Whether the person's state, as recorded at the use, allowed every purpose it needed."""
    if use.purpose not in taxonomy.purposes:
        return False
    return all(
        included(taxonomy.get(code).rule, history, code, use.on, use.at)
        for code in taxonomy.purposes_for(use.purpose, use.output_type or None)
    )


def projects_used(
    taxonomy: Taxonomy,
    history: list[ConsentEvent],
    all_uses: list[Use],
    projects: ProjectDirectory,
    in_scope: Callable[[str], bool] = lambda grant_id: True,
) -> list[ProjectUse]:
    """Projects whose scope included the person (``in_scope(grant_id)``: the grant's population
    restriction) and whose uses happened while the person's state, as then recorded, allowed
    every purpose the use needed."""
    by_grant: dict[str, list[Use]] = defaultdict(list)
    scoped: dict[str, bool] = {}
    for use in all_uses:
        if not allowed(taxonomy, history, use):
            continue
        if use.grant_id not in scoped:
            scoped[use.grant_id] = in_scope(use.grant_id)
        if scoped[use.grant_id]:
            by_grant[use.grant_id].append(use)
    result = []
    for grant_id, grant_uses in by_grant.items():
        title, sponsor = _project(projects, grant_id)
        result.append(
            ProjectUse(
                grant_id, title, sponsor, grant_uses[0].purpose,
                min(u.on for u in grant_uses), max(u.on for u in grant_uses),
                tuple(sorted({u.output_type for u in grant_uses if u.output_type})),
            )
        )  # fmt: skip
    return sorted(result, key=lambda p: (p.first_used, p.grant_id))


def impacted_projects(
    taxonomy: Taxonomy,
    excluded_histories: dict[str, dict[int, list[ConsentEvent]]],
    all_uses: list[Use],
    projects: ProjectDirectory,
    in_scope: Callable[[str, int], bool] = lambda grant_id, person_id: True,
) -> list[ImpactedProject]:
    """Released outputs whose purpose now excludes persons who were included when released.

    ``excluded_histories`` maps purpose → person → history (for that purpose)
    of every person whose current state excludes the purpose; every purpose an
    output needed counts (AI training for a model), within the grant's population.
    """
    outputs: dict[str, list[ReleasedOutput]] = defaultdict(list)
    persons: dict[str, set[int]] = defaultdict(set)
    purposes: dict[str, str] = {}
    for use in all_uses:
        if use.action not in OUTPUT_TYPE or use.purpose not in taxonomy.purposes:
            continue
        hit = {
            p
            for code in taxonomy.purposes_for(use.purpose, use.output_type)
            for p, history in excluded_histories.get(code, {}).items()
            if included(taxonomy.get(code).rule, history, code, use.on, use.at)
            and in_scope(use.grant_id, p)
        }
        if hit:
            outputs[use.grant_id].append(
                ReleasedOutput(use.object, use.output_type, use.on, len(hit))
            )
            persons[use.grant_id] |= hit
            purposes[use.grant_id] = use.purpose
    result = []
    for grant_id, released in outputs.items():
        title, sponsor = _project(projects, grant_id)
        result.append(
            ImpactedProject(
                grant_id, title, sponsor, purposes[grant_id], tuple(released),
                len(persons[grant_id]),
            )
        )  # fmt: skip
    return sorted(result, key=lambda p: p.grant_id)


def _project(projects: ProjectDirectory, grant_id: str) -> tuple[str, str]:
    grant = projects.grant(grant_id)
    request, _state = projects.request(grant.request_id)
    return str(request.title), str(request.sponsor)
