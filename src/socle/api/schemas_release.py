"""Bodies of the release desk's routes. Released values appear only once released."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from socle.api.schemas import Strict


class CountsCheckCreate(Strict):
    condition: str = Field(min_length=3, max_length=120, description="VOCABULARY|code")
    dims: list[Literal["age_band", "sex"]] = Field(default=["age_band", "sex"], min_length=1)


class DPCountCreate(Strict):
    condition: str = Field(min_length=3, max_length=120, description="VOCABULARY|code")
    epsilon: float = Field(gt=0, le=10, description="Privacy loss this release spends")
    by: Literal["age_band", "sex"] | None = None


class CheckPublic(BaseModel):
    name: str
    status: Literal["pass", "review", "fail"]
    reason: str
    cells: int
    mitigated: bool
    source: str


class CheckReportPublic(BaseModel):
    """What the researcher sees before asking for release: statuses and reasons, no values."""

    output: str
    kind: str
    status: Literal["pass", "review", "fail"]
    checks: list[CheckPublic]


class ItemPublic(BaseModel):
    name: str
    kind: str
    status: str
    checks: list[CheckPublic]
    exception: str | None
    columns: list[str]
    rows: list[list[Any]] | None = Field(
        description="The checked content: for checkers, and for the team once released"
    )
    sha256: str | None


class OutputReviewPublic(BaseModel):
    checker: str
    decision: str
    reasons: str
    at: str


class OutputRequestPublic(BaseModel):
    id: str
    grant_id: str
    project: str
    requester: str
    description: str
    state: str
    items: list[ItemPublic]
    reviews: list[OutputReviewPublic]
    history: list[str] = Field(default_factory=list, description="The project's earlier releases")


class OutputReviewCreate(Strict):
    decision: Literal["approved", "rejected", "changes_requested"]
    reasons: str = Field(default="", max_length=4000)


class CheckerCreate(Strict):
    name: str = Field(min_length=1, max_length=200, pattern=r"^[\w.@+-]+$")


class LedgerEntryPublic(BaseModel):
    release_id: str
    population: str
    dims: list[str]
    labels: list[str]
    released_value: float | None


class BudgetPublic(BaseModel):
    grant_id: str
    epsilon: float
    delta: float
    spent_epsilon: float
    spent_delta: float
    remaining_epsilon: float
    spends: list[dict[str, Any]]
