"""Domain objects of access governance: requests, their states, decisions and grants."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

OutputType = Literal["aggregates", "pseudonymised_extract", "federated_training", "model_training"]
Outcome = Literal["approved", "rejected", "changes_requested"]

# Every allowed move of a request; anything else is refused.
TRANSITIONS: dict[str, frozenset[str]] = {
    "draft": frozenset({"submitted"}),
    "submitted": frozenset({"checked", "rejected"}),
    "checked": frozenset({"in_review"}),
    "in_review": frozenset({"approved", "rejected", "changes_requested"}),
    "changes_requested": frozenset({"submitted"}),
    "approved": frozenset({"active"}),
    "active": frozenset({"suspended", "expired", "closed"}),
    "suspended": frozenset({"active", "closed"}),
    "rejected": frozenset(),
    "expired": frozenset({"closed"}),
    "closed": frozenset(),
}


@dataclass(frozen=True)
class RequestedVariable:
    table: str
    column: str
    justification: str


@dataclass(frozen=True)
class ProjectRequest:
    """What a project declares when it asks for data."""

    title: str
    sponsor: str
    team: tuple[str, ...]
    purpose: str
    public_interest: str
    dataset_id: str
    variables: tuple[RequestedVariable, ...]
    output_types: tuple[OutputType, ...]
    period_start: date | None = None
    period_end: date | None = None


@dataclass(frozen=True)
class CheckResult:
    name: str
    passed: bool
    reason: str


@dataclass(frozen=True)
class Grant:
    id: str
    request_id: str
    purpose: str
    columns: dict[str, tuple[str, ...]]
    output_types: tuple[str, ...]
    starts: date
    expires: date
    revoked: bool
    period_start: date | None
    period_end: date | None
