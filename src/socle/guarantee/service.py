"""Decision support under human guarantee.

A prediction returns the score, its explanation and the model's notice, and
is stored as *pending*. It counts as used in care only once a clinician has
accepted, amended or rejected it with a reason; until then every report
lists it as pending.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

import numpy as np
import orjson
from sqlalchemy import Column, Engine, Float, MetaData, String, Table, Text, func, select

from socle.ai import FEATURES, ModelRegistry, explain
from socle.audit import AuditLog
from socle.errors import SocleError
from socle.roles import Role
from socle.store import Timestamp

Decision = Literal["accepted", "amended", "rejected"]

TABLES = MetaData()  # this context's tables; socle.node composes the store

prediction = Table(
    "prediction",
    TABLES,
    Column("id", String(40), primary_key=True),
    Column("model_id", String(40), nullable=False),
    Column("patient", String(64), nullable=False),  # pseudonym token, never an identity
    Column("care_context", String(120), nullable=False),
    Column("requested_by", String(200), nullable=False),
    Column("inputs", Text, nullable=False),
    Column("score", Float, nullable=False),
    Column("explanation", Text, nullable=False),
    Column("status", String(20), nullable=False, index=True),
    Column("decided_by", String(200)),
    Column("decision_reason", Text),
    Column("amended_score", Float),
    Column("created_at", Timestamp("seconds"), nullable=False),
    Column("decided_at", Timestamp("seconds")),
)


class GuaranteeError(SocleError):
    """Base of human-guarantee errors."""

    exit_code = 4


@dataclass(frozen=True)
class Prediction:
    id: str
    model_id: str
    patient: str
    score: float
    explanation: dict[str, float]
    status: str
    decided_by: str | None = None
    decision_reason: str | None = None
    care_context: str = ""


@dataclass(frozen=True)
class ModelUsage:
    """How one model is used in care: predictions made and what clinicians decided."""

    model_id: str
    predictions: int
    pending: int
    accepted: int
    amended: int
    rejected: int

    @property
    def decided(self) -> int:
        return self.accepted + self.amended + self.rejected


class HumanGuarantee:
    def __init__(self, engine: Engine, audit: AuditLog, models: ModelRegistry) -> None:
        self.engine, self.audit, self.models = engine, audit, models

    def predict(
        self,
        model_id: str,
        patient: str,
        inputs: dict[str, float | None],
        *,
        clinician: str,
        care_context: str,
    ) -> Prediction:
        """Score one patient; the result is stored as pending a clinician's decision."""
        missing = [f for f in FEATURES if f not in inputs]
        if missing:
            raise GuaranteeError(f"prediction inputs lack {', '.join(missing)}")
        pipeline = self.models.load(model_id)
        x = np.array([np.nan if inputs[f] is None else inputs[f] for f in FEATURES], dtype=float)
        score = float(pipeline.predict_proba(x.reshape(1, -1))[0, 1])
        why = explain(pipeline, x)
        pred_id = "pred-" + uuid.uuid4().hex[:10]
        with self.engine.begin() as conn:
            conn.execute(
                prediction.insert().values(
                    id=pred_id, model_id=model_id, patient=patient, care_context=care_context,
                    requested_by=clinician, inputs=orjson.dumps(inputs).decode(), score=score,
                    explanation=orjson.dumps(why).decode(), status="pending",
                    created_at=datetime.now(UTC).isoformat(timespec="seconds"),
                )
            )  # fmt: skip
            self.audit.append(
                conn, actor=clinician, role=Role.CLINICIAN, action="prediction.create",
                object=pred_id, purpose="care",
                details={"model": model_id, "patient": patient, "score": round(score, 4)},
            )  # fmt: skip
        return Prediction(
            pred_id, model_id, patient, score, why, "pending", care_context=care_context
        )

    def decide(
        self,
        prediction_id: str,
        decision: Decision,
        *,
        clinician: str,
        reason: str,
        amended_score: float | None = None,
    ) -> Prediction:
        """Record the clinician's decision; a reason is always required."""
        if decision not in ("accepted", "amended", "rejected"):
            raise GuaranteeError(
                f"decision must be accepted, amended or rejected, not '{decision}'"
            )
        if not reason.strip():
            raise GuaranteeError(f"prediction {prediction_id}: give a reason for the decision")
        if decision == "amended" and amended_score is None:
            raise GuaranteeError(
                f"prediction {prediction_id}: an amendment needs the amended value"
            )
        current = self.get(prediction_id)
        if current.status != "pending":
            raise GuaranteeError(
                f"prediction {prediction_id} was already {current.status} by {current.decided_by}"
            )
        with self.engine.begin() as conn:
            conn.execute(
                prediction.update().where(prediction.c.id == prediction_id).values(
                    status=decision, decided_by=clinician, decision_reason=reason,
                    amended_score=amended_score,
                    decided_at=datetime.now(UTC).isoformat(timespec="seconds"),
                )
            )  # fmt: skip
            self.audit.append(
                conn, actor=clinician, role=Role.CLINICIAN, action=f"prediction.{decision}",
                object=prediction_id, purpose="care", details={"model": current.model_id},
            )  # fmt: skip
        return self.get(prediction_id)

    def get(self, prediction_id: str) -> Prediction:
        with self.engine.connect() as conn:
            row = conn.execute(select(prediction).where(prediction.c.id == prediction_id)).first()
        if row is None:
            raise GuaranteeError(f"no prediction '{prediction_id}'")
        return Prediction(
            row.id, row.model_id, row.patient, row.score, orjson.loads(row.explanation),
            row.status, row.decided_by, row.decision_reason, row.care_context,
        )  # fmt: skip

    def status_report(self) -> dict[str, int]:
        """Predictions by status: what the college sees first (pending = not yet guaranteed)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(prediction.c.status, func.count()).group_by(prediction.c.status)
            ).all()
        report = {"pending": 0, "accepted": 0, "amended": 0, "rejected": 0}
        report.update({status: int(n) for status, n in rows})
        return report

    def usage(self, model_id: str) -> ModelUsage:
        """Predictions of one model by status (the observatory's live figures)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(prediction.c.status, func.count())
                .where(prediction.c.model_id == model_id)
                .group_by(prediction.c.status)
            ).all()
        n = {status: int(count) for status, count in rows}
        return ModelUsage(
            model_id, sum(n.values()), n.get("pending", 0), n.get("accepted", 0),
            n.get("amended", 0), n.get("rejected", 0),
        )  # fmt: skip
