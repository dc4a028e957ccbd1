"""Request and response bodies. ``XCreate`` comes in, ``XPublic`` goes out: no secret leaves."""

from __future__ import annotations

from datetime import date
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from socle.api.roles import Role

T = TypeVar("T")
Text = Field(min_length=1, max_length=2000)
Name = Field(min_length=1, max_length=200, pattern=r"^[\w.@+-]+$")


def _check_text(value: Any) -> None:
    """Refuse text no store can keep: NUL characters and lone UTF-16 surrogates."""
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("text may not contain NUL characters")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ValueError("text must be valid Unicode (it holds a lone surrogate)") from exc
    elif isinstance(value, dict):
        for k, v in value.items():
            _check_text(k)
            _check_text(v)
    elif isinstance(value, list | tuple):
        for v in value:
            _check_text(v)


class Strict(BaseModel):
    """Base of request bodies: unknown fields and unstorable text are refused (422)."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _storable_text(cls, data: Any) -> Any:
        _check_text(data)
        return data


class Page(BaseModel, Generic[T]):
    """One page of a list: ``items`` from ``offset``, ``total`` in all."""

    items: list[T]
    total: int
    limit: int
    offset: int


# -- auth and users -------------------------------------------------------------


class TokenRequest(Strict):
    username: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=1000)


class TokenPublic(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int


class UserCreate(Strict):
    username: str = Name
    password: str = Field(min_length=12, max_length=1000)
    roles: list[Role] = Field(min_length=1)
    patient_source_id: str | None = Field(
        default=None, max_length=200, description="For a patient: the id the hospital knows"
    )
    care_contexts: list[str] = Field(default_factory=list, max_length=50)


class UserPublic(BaseModel):
    """A user as the API shows it: never the password or its hash."""

    username: str
    roles: list[Role]
    person_id: int | None
    care_contexts: list[str]


# -- ingest, quality, catalogue -------------------------------------------------


class LoadCreate(Strict):
    path: str = Field(
        min_length=1, max_length=500, description="File or folder inside the import directory"
    )


class LoadPublic(BaseModel):
    load_id: str
    files: int
    persons: int
    read: int
    loaded: int
    quarantined: int
    skipped: int


class QualityPublic(BaseModel):
    generated_at: str
    passed: bool
    row_counts: dict[str, int]
    completeness: dict[str, float]
    implausible: dict[str, int]
    report: str


class DatasetCreate(Strict):
    title: str = Field(min_length=1, max_length=300)
    description: str = Text
    publisher: str = Field(min_length=1, max_length=200)


class VariablePublic(BaseModel):
    table: str
    column: str
    type: str
    completeness: float | None = Field(
        description="Share of consenting rows with a value; null on a table with few rows"
    )
    distinct_values: int | None = Field(
        description="Distinct values among consenting persons; null below the small-cell "
        "threshold, others rounded"
    )


class DatasetPublic(BaseModel):
    id: str
    title: str
    description: str
    publisher: str
    population: int | None
    coverage_start: date | None
    coverage_end: date | None
    variables: int
    release_policy: dict[str, Any] = Field(
        default_factory=dict,
        description="The node's published release policy: thresholds every output leaves under",
    )


# -- consent ----------------------------------------------------------------------

Kind = Literal["objection", "withdraw_objection", "opt_in", "withdraw_opt_in"]
Channel = Literal["portal", "paper_form", "fhir_import", "registry_sync"]


class NetworkFeasibilityAsk(Strict):
    """How many persons with a condition across a hub's network (one approved study)."""

    study: str = Field(min_length=1, max_length=40, description="The hub's approved study")
    concept: int | None = Field(
        default=None, gt=0, description="A standard concept id, counted with its descendants"
    )
    condition: str | None = Field(
        default=None, min_length=1, max_length=80, pattern=r"^[\w.-]+\|[\w.-]+$",
        description="Or a source code, VOCABULARY|CODE",
    )  # fmt: skip
    secure: bool = Field(
        default=False, description="Sites add exact counts by SecAgg+: the central rule applies"
    )
    sites: int = Field(default=3, ge=1, le=100, description="How many sites the count waits for")

    @model_validator(mode="after")
    def _one_condition(self) -> NetworkFeasibilityAsk:
        if (self.concept is None) == (self.condition is None):
            raise ValueError("give either a concept or a condition")
        return self


class NetworkFeasibilityPublic(BaseModel):
    study: str
    concept: int | None
    condition: str | None
    persons: int | None = Field(
        description="Checked network total: None when a site or the hub suppressed it"
    )
    secure: bool
    seconds: float


class PurposePublic(BaseModel):
    code: str
    title: str
    rule: str


class ConsentEventCreate(Strict):
    person_id: int = Field(ge=0, le=2**63 - 1)
    purpose: str = Field(min_length=1, max_length=60)
    kind: Kind
    effective: date
    channel: Channel = "paper_form"


class ConsentBatchCreate(Strict):
    events: list[ConsentEventCreate] = Field(min_length=1, max_length=10_000)


class RecordedPublic(BaseModel):
    recorded: int


class ConsentChoiceCreate(Strict):
    purpose: str = Field(min_length=1, max_length=60)
    kind: Kind


class ConsentEventPublic(BaseModel):
    purpose: str
    kind: str
    effective: date
    channel: str
    recorded_at: str


class ConsentCheckPublic(BaseModel):
    person_id: int
    purpose: str
    on: date
    included: bool


class PurposeStatePublic(BaseModel):
    purpose: str
    rule: str
    included: bool


class ConsentViewPublic(BaseModel):
    person_id: int
    states: list[PurposeStatePublic]
    history: Page[ConsentEventPublic]


class ProjectUsePublic(BaseModel):
    """An approved project that read the patient's data, and when."""

    grant_id: str
    title: str
    sponsor: str
    purpose: str
    first_used: date
    last_used: date
    output_types: list[str]


# -- governance -----------------------------------------------------------------------

OutputType = Literal[
    "aggregates",
    "pseudonymised_extract",
    "anonymised_dataset",
    "federated_training",
    "model_training",
]


class VariableRequest(Strict):
    table: str = Field(min_length=1, max_length=80)
    column: str = Field(min_length=1, max_length=80)
    justification: str = Field(max_length=2000)


class TeamMemberIn(Strict):
    """A team member and their role (one of the published roles; checked at submission)."""

    name: str = Name
    role: str = Field(min_length=1, max_length=60)


class PopulationIn(Strict):
    """Row restriction: age range at the grant's start and sex (checked at submission)."""

    min_age: int | None = Field(default=None, ge=-1000, le=1000)
    max_age: int | None = Field(default=None, ge=-1000, le=1000)
    sex: Literal["M", "F"] | None = None


class RequestCreate(Strict):
    title: str = Field(min_length=1, max_length=300)
    sponsor: str = Field(min_length=1, max_length=300)
    team: list[TeamMemberIn] = Field(default_factory=list, max_length=50)
    purpose: str = Field(min_length=1, max_length=60)
    public_interest: str = Text
    dataset_id: str = Field(min_length=1, max_length=40)
    variables: list[VariableRequest] = Field(min_length=1, max_length=200)
    output_types: list[OutputType] = Field(min_length=1)
    period_start: date | None = None
    period_end: date | None = None
    population: PopulationIn | None = None


class TeamMemberPublic(BaseModel):
    name: str
    role: str


class PopulationPublic(BaseModel):
    min_age: int | None
    max_age: int | None
    sex: str | None


class RequestPublic(BaseModel):
    id: str
    state: str
    title: str
    sponsor: str
    team: list[TeamMemberPublic]
    purpose: str
    dataset_id: str
    variables: list[VariableRequest]
    output_types: list[str]
    population: PopulationPublic | None = None


class CheckPublic(BaseModel):
    name: str
    passed: bool
    reason: str


class SubmissionPublic(BaseModel):
    id: str
    state: str
    checks: list[CheckPublic]


class DecisionCreate(Strict):
    outcome: Literal["approved", "rejected", "changes_requested"]
    reviewers: list[str] = Field(min_length=1, max_length=50)
    reasons: str = Text
    conditions: str = Field(default="", max_length=2000)


class MemberCreate(Strict):
    name: str = Name
    expertise: str = Text


class MemberPublic(BaseModel):
    id: str
    name: str
    expertise: str


class ConflictCreate(Strict):
    """The signed-in member's declared interest: in one request, or in every request of a sponsor."""

    request_id: str | None = Field(default=None, min_length=1, max_length=40)
    sponsor: str | None = Field(default=None, min_length=1, max_length=300)
    statement: str = Text


class ConflictPublic(BaseModel):
    member_id: str
    request_id: str | None
    sponsor: str | None


class ReviewCreate(Strict):
    """One member's scores (every published criterion, on the published scale) and comments."""

    scores: dict[str, int] = Field(min_length=1, max_length=20)
    summary: str = Text
    comments: dict[str, str] = Field(default_factory=dict, max_length=20)


class ReviewPublic(BaseModel):
    request_id: str
    member_id: str
    round: int
    scores: dict[str, int]
    summary: str


class GrantCreate(Strict):
    expires: date
    dp_epsilon: float = Field(
        default=0.0, ge=0, le=100, description="Privacy budget (ε) for DP releases"
    )
    dp_delta: float = Field(default=0.0, ge=0, lt=1)


class GrantPublic(BaseModel):
    id: str
    request_id: str
    purpose: str
    columns: dict[str, list[str]]
    output_types: list[str]
    starts: date
    expires: date
    revoked: bool
    population: PopulationPublic | None = None
    dp_epsilon: float = 0.0
    dp_delta: float = 0.0


class RevokeCreate(Strict):
    reason: str = Text


class StatePublic(BaseModel):
    id: str
    state: str


# -- workspace, models, guarantee, audit ------------------------------------------------


class CountsCreate(Strict):
    condition: str = Field(min_length=3, max_length=120, description="VOCABULARY|code")
    dims: list[Literal["age_band", "sex"]] = Field(default=["age_band", "sex"], min_length=1)


class QueryCreate(Strict):
    name: str = Field(
        pattern=r"^[a-z][a-z0-9_]{0,62}$", description="Name the result is kept under"
    )
    sql: str = Field(min_length=1, max_length=100_000, description="One SELECT on scoped_* views")


class CohortCreate(Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,62}$")
    definition: dict[str, Any] = Field(description="Socle cohort fields, or OHDSI Circe JSON")


class ResultPublic(BaseModel):
    """A named result kept in the workspace: never its rows, only a disclosed row count."""

    id: str
    grant_id: str
    name: str
    kind: str
    columns: list[str]
    rows_disclosed: int | None = Field(description="Rounded; null when below the threshold")
    sha256: str
    notes: list[str] = []


class JobCreate(Strict):
    filename: str = Field(pattern=r"^[A-Za-z0-9_-]{1,60}\.py$")
    script: str = Field(min_length=1, max_length=500_000, description="The Python source")
    params: dict[str, str | int | float | bool] = {}
    results: list[str] = Field(default=[], max_length=20)


class OutputPublic(BaseModel):
    name: str
    kind: str
    bytes: int
    sha256: str


class JobPublic(BaseModel):
    id: str
    grant_id: str
    actor: str
    role: str
    state: str
    reason: str
    script: str
    code_sha256: str
    extract_sha256: str
    created_at: str
    ended_at: str | None
    outputs: list[OutputPublic] = []


class JobLogPublic(BaseModel):
    job_id: str
    log: str = Field(description="The framework's log; the script's stdout/stderr are outputs")


class TraceLinkPublic(BaseModel):
    kind: str
    seq: int
    action: str
    object: str
    actor: str
    role: str
    at: str
    hash: str
    details: dict[str, Any]


class ModelCreate(Strict):
    grant_id: str = Field(min_length=1, max_length=40)


class ModelPublic(BaseModel):
    id: str
    metrics: dict[str, Any]


class PredictionCreate(Strict):
    model_id: str = Field(min_length=1, max_length=40)
    patient: str = Field(min_length=1, max_length=64, description="The patient's pseudonym")
    care_context: str = Field(min_length=1, max_length=120)
    inputs: dict[str, float | None]


class PredictionPublic(BaseModel):
    id: str
    model_id: str
    patient: str
    care_context: str
    score: float
    explanation: dict[str, float]
    status: str
    decided_by: str | None
    decision_reason: str | None
    reason_code: str | None = None
    model_version: str = ""
    notice_version: str = Field(default="", description="sha256 of the notice shown with it")
    notice: str = Field(default="", description="where to read that notice")
    created_at: str = ""
    decided_at: str | None = None
    decision_seconds: float | None = None


class PredictionDecisionCreate(Strict):
    decision: Literal["accepted", "amended", "rejected"]
    reason: str = Text
    reason_code: str = Field(
        default="other", min_length=1, max_length=40,
        description="a code of the published taxonomy (GET /guarantee/reasons)",
    )  # fmt: skip
    amended_score: float | None = Field(default=None, ge=0, le=1)


class AuditEventPublic(BaseModel):
    seq: int
    at: str
    actor: str
    role: str
    action: str
    object: str
    purpose: str
    outcome: str
    details: dict[str, Any]
    hash: str


class VerificationPublic(BaseModel):
    events: int
    head_hash: str
