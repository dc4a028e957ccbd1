"""Bodies of the model registry, the human guarantee's monitoring and the college."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, Field

from socle.api.schemas import Strict, Text

Reason = Field(min_length=1, max_length=2000)


class ModelInfoPublic(BaseModel):
    id: str
    definition_id: str
    version: int
    stage: str
    stage_reason: str
    stage_at: str
    features: list[str]
    notice_version: str
    restricted_to: list[str] | None


class StageCreate(Strict):
    stage: Literal["validated", "retired"]
    reason: str = Reason


class LineagePublic(BaseModel):
    model: ModelInfoPublic
    lineage: dict[str, Any]
    transitions: list[dict[str, str]]


class DefinitionPublic(BaseModel):
    id: str
    title: str
    status: str
    definition: dict[str, Any]


class ReasonPublic(BaseModel):
    code: str
    decisions: list[str]
    en: str
    fr: str


class ReasonsPublic(BaseModel):
    system: str
    reasons: list[ReasonPublic]


class OutcomeCreate(Strict):
    occurred: bool
    observed_on: date
    source: str = Field(default="clinician", min_length=1, max_length=120)


class AlertPublic(BaseModel):
    id: str
    model_id: str
    kind: str
    subject: str
    value: float
    threshold: float
    message: str
    status: str
    raised_at: str


class MonitoringPublic(BaseModel):
    model_id: str
    predictions: int
    decided: int
    input_drift: dict[str, dict[str, float]]
    prediction_drift: dict[str, float] | None
    overrides: dict[str, Any]
    calibration: dict[str, float | int] | None
    alerts: list[AlertPublic]
    notes: list[str]


class CollegeMemberCreate(Strict):
    name: str = Field(min_length=1, max_length=200, pattern=r"^[\w.@+-]+$")
    expertise: str = Field(min_length=1, max_length=200)


class CollegeMemberPublic(BaseModel):
    name: str
    expertise: str
    active: bool
    appointed_at: str


class CollegeDecisionCreate(Strict):
    model_id: str = Field(min_length=1, max_length=40)
    decision: Literal["deploy", "keep", "retrain", "restrict", "suspend", "retire"]
    reason: str = Text
    care_contexts: list[str] | None = Field(default=None, max_length=50)


class CollegeDecisionPublic(BaseModel):
    id: str
    model_id: str
    decision: str
    reason: str
    care_contexts: list[str] | None
    decided_by: str
    decided_at: str


class ReviewCreate(Strict):
    model_id: str = Field(min_length=1, max_length=40)
    sample_size: int | None = Field(default=None, ge=1, le=200)
    seed: int | None = None


class ReviewPublic(BaseModel):
    report: str  # the HTML file's name in the node's reports folder
    review: dict[str, Any]
