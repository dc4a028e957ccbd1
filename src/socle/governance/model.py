"""Domain objects of access governance: requests, their states, decisions and grants."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from socle.governance.states import RequestState
from socle.warehouse import Population

OutputType = Literal[
    "aggregates",
    "pseudonymised_extract",
    "anonymised_dataset",
    "federated_training",
    "model_training",
]
Outcome = Literal["approved", "rejected", "changes_requested"]


@dataclass(frozen=True)
class RequestedVariable:
    table: str
    column: str
    justification: str


@dataclass(frozen=True)
class TeamMember:
    """A person on a project team and their role (one of ``roles.toml``)."""

    name: str
    role: str


@dataclass(frozen=True)
class ProjectRequest:
    """What a project declares when it asks for data."""

    title: str
    sponsor: str
    team: tuple[TeamMember, ...]
    purpose: str
    public_interest: str
    dataset_id: str
    variables: tuple[RequestedVariable, ...]
    output_types: tuple[OutputType, ...]
    period_start: date | None = None
    period_end: date | None = None
    population_criteria: str = ""  # e.g. "adults followed at least 5 years"
    population: Population | None = None  # row restriction copied into the grant
    filed_by: str = ""  # who filed it (set by ``Governance.create``)

    def on_team(self, name: str) -> bool:
        return any(m.name == name for m in self.team)

    def is_party(self, name: str) -> bool:
        """On the team, or the one who filed it: either way, not a judge of it."""
        return self.on_team(name) or (bool(self.filed_by) and name == self.filed_by)


@dataclass(frozen=True)
class RequestRecord:
    """A filed request, its state in the lifecycle and its times (ISO-8601 UTC)."""

    id: str
    request: ProjectRequest
    state: RequestState
    created_at: str
    submitted_at: str | None
    decided_at: str | None


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
    population: Population | None = None
    dp_epsilon: float = 0.0  # privacy budget the committee grants for DP releases (0: none)
    dp_delta: float = 0.0


@dataclass(frozen=True)
class Decision:
    request_id: str
    outcome: str
    conditions: str
    reasons: str
    reviewers: tuple[str, ...]
    decided_at: str
    recommendation: str | None


@dataclass(frozen=True)
class DecisionTime:
    """Time from a request's first submission to its latest decision (``None``: pending)."""

    request_id: str
    state: str
    submitted_at: str
    decided_at: str | None
    seconds: float | None


@dataclass(frozen=True)
class DecisionTimeSummary:
    """Distribution of submission-to-decision times, in seconds, over decided requests."""

    submitted: int
    decided: int
    median: float | None
    p75: float | None
    p90: float | None
    max: float | None


def percentile(sorted_values: list[float], q: float) -> float:
    """Linear-interpolated percentile (``q`` in 0..100) of a sorted, non-empty list."""
    position = (len(sorted_values) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (position - low)


def summarise_decision_times(times: list[DecisionTime]) -> DecisionTimeSummary:
    values = sorted(t.seconds for t in times if t.seconds is not None)
    if not values:
        return DecisionTimeSummary(len(times), 0, None, None, None, None)
    return DecisionTimeSummary(
        len(times), len(values), percentile(values, 50), percentile(values, 75),
        percentile(values, 90), values[-1],
    )  # fmt: skip
