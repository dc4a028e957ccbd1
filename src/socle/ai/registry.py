"""The model registry: versions, metrics, notice and the grant each model was trained under."""

from __future__ import annotations

import pickle
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import Column, Engine, MetaData, String, Table, Text, select

from socle.ai.dataset import FEATURES, TARGET_LABEL, build_training_set
from socle.ai.notice import render_notice
from socle.ai.training import (
    Evaluation,
    ModelNotFoundError,
    TrainingRules,
    check_trainable,
    train_and_evaluate,
)
from socle.audit import AuditLog
from socle.store import Timestamp
from socle.workspace import Workspace

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

TABLES = MetaData()  # this context's tables; socle.node composes the store

model_version = Table(
    "ai_model",
    TABLES,
    Column("id", String(40), primary_key=True),
    Column("name", String(120), nullable=False),
    Column("grant_id", String(40), nullable=False),
    Column("purpose", String(60), nullable=False),
    Column("created_at", Timestamp("seconds"), nullable=False),
    Column("metrics", Text, nullable=False),
    Column("artifact", String(500), nullable=False),
    Column("notice", String(500), nullable=False),
)


@dataclass(frozen=True)
class RegisteredModel:
    """A model of the registry as other contexts may read it (no artefact path)."""

    id: str
    name: str
    purpose: str
    grant_id: str
    created_at: str
    metrics: dict[str, Any]
    notice: str  # the standardised user notice (markdown)


@dataclass(frozen=True)
class TrainedModel:
    id: str
    evaluation: Evaluation
    artifact: Path
    notice: Path


class ModelRegistry:
    def __init__(
        self,
        engine: Engine,
        audit: AuditLog,
        models_dir: Path,
        rules: TrainingRules | None = None,
    ) -> None:
        self.engine, self.audit, self.models_dir = engine, audit, models_dir
        self.rules = rules or TrainingRules()

    def train(self, workspace: Workspace, grant_id: str, *, actor: str) -> TrainedModel:
        """Build the training set through the workspace checkpoint, fit, evaluate, register.

        The training set holds only persons whose choices allow every purpose
        training needs (the workspace's consent filter for ``model_training``);
        training below the rules' minimums is refused before anything is written.
        """
        with workspace.session(grant_id, "model_training", actor=actor) as ws:
            data = build_training_set(ws)
            purpose = ws.grant.purpose
        check_trainable(data, self.rules)
        purposes = workspace.consent.taxonomy.purposes_for(purpose, "model_training")
        role = workspace.role_of(grant_id, actor, "model_training")
        model_id = "model-" + uuid.uuid4().hex[:8]
        folder = self.models_dir / model_id
        folder.mkdir(parents=True, exist_ok=True)
        pipeline, ev = train_and_evaluate(data, folder / "calibration.png", self.rules)
        artifact = folder / "model.pkl"
        artifact.write_bytes(pickle.dumps(pipeline))
        notice = folder / "notice.md"
        notice.write_text(render_notice(model_id, grant_id, purposes, ev))
        # File names only: no server path leaves in the metrics.
        metrics = {k: (v.name if isinstance(v, Path) else v) for k, v in asdict(ev).items()}
        with self.engine.begin() as conn:
            conn.execute(
                model_version.insert().values(
                    id=model_id, name=TARGET_LABEL, grant_id=grant_id, purpose=purpose,
                    created_at=datetime.now(UTC).isoformat(timespec="seconds"),
                    metrics=orjson.dumps(metrics).decode(), artifact=str(artifact),
                    notice=str(notice),
                )
            )  # fmt: skip
            self.audit.append(
                conn, actor=actor, role=role, action="model.train", object=model_id,
                purpose=purpose,
                details={"grant": grant_id, "persons": ev.persons, "landmarks": ev.rows,
                         "auroc": ev.auroc, "brier": ev.brier},
            )  # fmt: skip
        return TrainedModel(model_id, ev, artifact, notice)

    def load(self, model_id: str) -> Pipeline:
        pipeline: Pipeline = pickle.loads(Path(self._row(model_id).artifact).read_bytes())
        return pipeline

    def features(self) -> tuple[str, ...]:
        return FEATURES

    def metrics(self, model_id: str) -> dict[str, Any]:
        """The model's checked metrics (counts disclosed like a release; no server path)."""
        result: dict[str, Any] = orjson.loads(self._row(model_id).metrics)
        return result

    def grant_of(self, model_id: str) -> str:
        """The grant a model was trained under: its project decides who may see it."""
        return str(self._row(model_id).grant_id)

    def _row(self, model_id: str) -> Any:
        with self.engine.connect() as conn:
            row = conn.execute(select(model_version).where(model_version.c.id == model_id)).first()
        if row is None:
            raise ModelNotFoundError(f"no model '{model_id}' in the registry")
        return row

    def registered(self) -> list[RegisteredModel]:
        """Every registered model with its evaluation and notice, oldest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(model_version).order_by(model_version.c.created_at)).all()
        return [
            RegisteredModel(
                r.id,
                r.name,
                r.purpose,
                r.grant_id,
                r.created_at,
                orjson.loads(r.metrics),
                Path(r.notice).read_text() if Path(r.notice).exists() else "",
            )
            for r in rows
        ]
