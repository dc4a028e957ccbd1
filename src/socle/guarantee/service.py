"""Decision support under human guarantee.

A prediction is made only by a *deployed* model, in a care context the
college has not excluded; it carries the score, its SHAP explanation, the
model's version and the version (hash) of the notice the clinician sees. It is
stored as *pending*; it counts as used in care only once a clinician has
accepted, amended or rejected it with a reason from the published taxonomy and
free text. The time to decision is kept; later, the outcome is linked to it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Literal

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    Engine,
    Float,
    MetaData,
    String,
    Table,
    Text,
    func,
    select,
)

from socle.ai import ModelRegistry
from socle.audit import AuditLog
from socle.guarantee.reasons import GuaranteeError, reason_taxonomy
from socle.roles import Role
from socle.store import Json, Timestamp

Decision = Literal["accepted", "amended", "rejected"]

TABLES = MetaData()  # this context's tables; socle.node composes the store

prediction = Table(
    "prediction",
    TABLES,
    Column("id", String(40), primary_key=True),
    Column("model_id", String(40), nullable=False, index=True),
    Column("patient", String(64), nullable=False),  # pseudonym token, never an identity
    Column("care_context", String(120), nullable=False),
    Column("requested_by", String(200), nullable=False),
    Column("inputs", Json, nullable=False),
    Column("score", Float, nullable=False),
    Column("explanation", Json, nullable=False),
    Column("status", String(20), nullable=False, index=True),
    Column("decided_by", String(200)),
    Column("decision_reason", Text),
    Column("amended_score", Float),
    Column("created_at", Timestamp("seconds"), nullable=False),
    Column("decided_at", Timestamp("seconds")),
    Column("model_version", String(80)),
    Column("notice_version", String(64)),
    Column("reason_code", String(40)),
    Column("decision_seconds", Float),
)
outcome = Table(
    "prediction_outcome",
    TABLES,
    Column("prediction_id", String(40), primary_key=True),
    Column("occurred", Boolean, nullable=False),
    Column("observed_on", Date, nullable=False),
    Column("source", String(120), nullable=False),
    Column("recorded_by", String(200), nullable=False),
    Column("recorded_at", Timestamp("seconds"), nullable=False),
)


def _now() -> datetime:
    return datetime.now(UTC)


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
    model_version: str = ""
    notice_version: str = ""
    reason_code: str | None = None
    amended_score: float | None = None
    created_at: str = ""
    decided_at: str | None = None
    decision_seconds: float | None = None
    inputs: dict[str, float | None] = field(default_factory=dict)


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
        inputs: Mapping[str, float | None],
        *,
        clinician: str,
        care_context: str,
    ) -> Prediction:
        """Score one patient with a deployed model; stored as pending a clinician's decision."""
        info = self.models.ready_for_care(model_id, care_context)  # one query: stage is fresh
        missing = [f for f in info.features if f not in inputs]
        if missing:
            raise GuaranteeError(f"prediction inputs lack {', '.join(missing)}")
        kept = {f: inputs[f] for f in info.features}
        score, why = self.models.scorer(model_id, info).score(kept)
        pred_id = "pred-" + uuid.uuid4().hex[:10]
        now = _now().isoformat(timespec="milliseconds")
        with self.engine.begin() as conn:  # the prediction and its audit event: one transaction
            conn.execute(prediction.insert(), {
                "id": pred_id, "model_id": model_id, "patient": patient,
                "care_context": care_context, "requested_by": clinician,
                "inputs": kept, "score": score, "explanation": why, "status": "pending",
                "created_at": now, "model_version": info.label,
                "notice_version": info.notice_sha256,
            })  # fmt: skip
            self.audit.append(
                conn, actor=clinician, role=Role.CLINICIAN, action="prediction.create",
                object=pred_id, purpose="care",
                details={"model": model_id, "version": info.label, "patient": patient,
                         "score": round(score, 4)},
            )  # fmt: skip
        return Prediction(
            pred_id, model_id, patient, score, why, "pending", care_context=care_context,
            model_version=info.label, notice_version=info.notice_sha256, created_at=now,
            inputs=kept,
        )  # fmt: skip

    def decide(
        self,
        prediction_id: str,
        decision: Decision,
        *,
        clinician: str,
        reason: str,
        reason_code: str = "other",
        amended_score: float | None = None,
    ) -> Prediction:
        """Record the clinician's decision: a published reason code and free text, always."""
        if decision not in ("accepted", "amended", "rejected"):
            raise GuaranteeError(
                f"decision must be accepted, amended or rejected, not '{decision}'"
            )
        if not reason.strip():
            raise GuaranteeError(f"prediction {prediction_id}: give a reason for the decision")
        reason_taxonomy().check(reason_code, decision)
        if decision == "amended" and amended_score is None:
            raise GuaranteeError(
                f"prediction {prediction_id}: an amendment needs the amended value"
            )
        current = self.get(prediction_id)
        if current.status != "pending":
            raise GuaranteeError(
                f"prediction {prediction_id} was already {current.status} by {current.decided_by}"
            )
        now = _now()
        seconds = (now - datetime.fromisoformat(current.created_at)).total_seconds()
        with self.engine.begin() as conn:
            conn.execute(
                prediction.update().where(prediction.c.id == prediction_id).values(
                    status=decision, decided_by=clinician, decision_reason=reason,
                    reason_code=reason_code, amended_score=amended_score,
                    decided_at=now,
                    decision_seconds=round(seconds, 3),
                )
            )  # fmt: skip
            self.audit.append(
                conn, actor=clinician, role=Role.CLINICIAN, action=f"prediction.{decision}",
                object=prediction_id, purpose="care",
                details={"model": current.model_id, "reason_code": reason_code,
                         "seconds": round(seconds, 1)},
            )  # fmt: skip
        return self.get(prediction_id)

    def record_outcome(
        self, prediction_id: str, occurred: bool, observed_on: date, *, actor: str, role: str,
        source: str = "manual",
    ) -> None:  # fmt: skip
        """Link the observed outcome (the predicted event happened, or not) to a prediction."""
        current = self.get(prediction_id)
        if observed_on < datetime.fromisoformat(current.created_at).date():
            raise GuaranteeError(f"prediction {prediction_id}: the outcome predates it")
        with self.engine.begin() as conn:
            conn.execute(outcome.delete().where(outcome.c.prediction_id == prediction_id))
            conn.execute(
                outcome.insert().values(
                    prediction_id=prediction_id, occurred=occurred,
                    observed_on=observed_on, source=source, recorded_by=actor,
                    recorded_at=_now(),
                )
            )  # fmt: skip
            self.audit.append(
                conn, actor=actor, role=role, action="prediction.outcome", object=prediction_id,
                purpose="care", details={"model": current.model_id, "source": source},
            )  # fmt: skip

    def awaiting_outcome(self) -> list[tuple[str, str, str, date]]:
        """(prediction, model, pseudonym token, index date) of every prediction without an
        outcome yet, oldest first: what a later load may answer."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(prediction.c.id, prediction.c.model_id, prediction.c.patient,
                       prediction.c.created_at)
                .outerjoin(outcome, outcome.c.prediction_id == prediction.c.id)
                .where(outcome.c.prediction_id.is_(None))
                .order_by(prediction.c.created_at)
            ).all()  # fmt: skip
        return [(r.id, r.model_id, r.patient, _day(r.created_at)) for r in rows]

    def record_outcomes(
        self, found: Sequence[tuple[str, bool, date]], *, actor: str, role: str, source: str
    ) -> int:
        """Record many outcomes ``(prediction, occurred, observed on)`` in one transaction, each
        audited; a prediction that already has one keeps it (a re-run records nothing twice).
        Returns how many were recorded."""
        if not found:
            return 0
        ids = [pid for pid, _, _ in found]
        now = _now()
        with self.engine.begin() as conn:
            models = dict(conn.execute(
                select(prediction.c.id, prediction.c.model_id).where(prediction.c.id.in_(ids))
            ).tuples().all())  # fmt: skip
            done = set(conn.execute(
                select(outcome.c.prediction_id).where(outcome.c.prediction_id.in_(ids))
            ).scalars().all())  # fmt: skip
            new = [(p, o, d) for p, o, d in found if p in models and p not in done]
            if not new:
                return 0
            conn.execute(outcome.insert(), [
                {"prediction_id": p, "occurred": o, "observed_on": d,
                 "source": source, "recorded_by": actor, "recorded_at": now}
                for p, o, d in new
            ])  # fmt: skip
            self.audit.append_many(conn, [
                {"actor": actor, "role": role, "action": "prediction.outcome", "object": p,
                 "purpose": "care", "details": {"model": models[p], "source": source}}
                for p, _, _ in new
            ])  # fmt: skip
        return len(new)

    def outcome_of(self, prediction_id: str) -> tuple[bool, date] | None:
        """The linked outcome of a prediction (occurred, observed on), or ``None`` yet."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(outcome.c.occurred, outcome.c.observed_on)
                .where(outcome.c.prediction_id == prediction_id)
            ).first()  # fmt: skip
        return None if row is None else (bool(row.occurred), row.observed_on)

    def get(self, prediction_id: str) -> Prediction:
        with self.engine.connect() as conn:
            row = conn.execute(select(prediction).where(prediction.c.id == prediction_id)).first()
        if row is None:
            raise GuaranteeError(f"no prediction '{prediction_id}'")
        return _prediction(row)

    def predictions(self, model_id: str, *, decided_only: bool = False) -> list[Prediction]:
        """Every prediction of a model, oldest first (the college's review reads them)."""
        query = select(prediction).where(prediction.c.model_id == model_id)
        if decided_only:
            query = query.where(prediction.c.status != "pending")
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(prediction.c.created_at)).all()
        return [_prediction(r) for r in rows]

    def pending(
        self, care_contexts: Iterable[str], *, limit: int = 100, offset: int = 0
    ) -> list[Prediction]:
        """Predictions still awaiting a clinician's decision in ``care_contexts``, oldest first
        (a clinician's work list, paged)."""
        contexts = list(care_contexts)
        if not contexts:
            return []
        query = (
            select(prediction)
            .where(prediction.c.status == "pending", prediction.c.care_context.in_(contexts))
            .order_by(prediction.c.created_at, prediction.c.id)
            .limit(limit).offset(offset)
        )  # fmt: skip
        with self.engine.connect() as conn:
            return [_prediction(r) for r in conn.execute(query).all()]

    def outcomes(self, model_id: str) -> list[tuple[float, bool]]:
        """(score, outcome occurred) of every prediction of the model with a linked outcome."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(prediction.c.score, outcome.c.occurred)
                .join(outcome, outcome.c.prediction_id == prediction.c.id)
                .where(prediction.c.model_id == model_id)
            ).all()  # fmt: skip
        return [(float(s), bool(o)) for s, o in rows]

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


def _day(created_at: Any) -> date:
    """The calendar day (UTC) of a stored time: the prediction's index date."""
    moment = created_at if isinstance(created_at, datetime) else datetime.fromisoformat(created_at)
    return moment.date()


def _prediction(row: Any) -> Prediction:
    r = row
    return Prediction(
        r.id, r.model_id, r.patient, r.score, r.explanation, r.status,
        r.decided_by, r.decision_reason, r.care_context, r.model_version or "",
        r.notice_version or "", r.reason_code, r.amended_score, r.created_at, r.decided_at,
        r.decision_seconds, r.inputs,
    )  # fmt: skip
