"""The model registry: versions, metrics, notice and the grant each model was trained under."""

from __future__ import annotations

import pickle
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from sklearn.pipeline import Pipeline
from sqlalchemy import Column, Engine, String, Table, Text, select

from socle.ai.dataset import FEATURES, TARGET_LABEL, build_training_set
from socle.ai.notice import render_notice
from socle.ai.training import Evaluation, ModelError, train_and_evaluate
from socle.audit import AuditLog
from socle.store import metadata
from socle.workspace import Workspace

model_version = Table(
    "ai_model",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("name", String(120), nullable=False),
    Column("grant_id", String(40), nullable=False),
    Column("purpose", String(60), nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("metrics", Text, nullable=False),
    Column("artifact", String(500), nullable=False),
    Column("notice", String(500), nullable=False),
)


@dataclass(frozen=True)
class TrainedModel:
    id: str
    evaluation: Evaluation
    artifact: Path
    notice: Path


class ModelRegistry:
    def __init__(self, engine: Engine, audit: AuditLog, models_dir: Path) -> None:
        self.engine, self.audit, self.models_dir = engine, audit, models_dir

    def train(self, workspace: Workspace, grant_id: str, *, actor: str) -> TrainedModel:
        """Build the training set through the workspace checkpoint, fit, evaluate, register."""
        with workspace.session(grant_id, "model_training", actor=actor) as ws:
            data = build_training_set(ws)
            purpose = ws.grant.purpose
        role = workspace.role_of(grant_id, actor, "model_training")
        model_id = "model-" + uuid.uuid4().hex[:8]
        folder = self.models_dir / model_id
        folder.mkdir(parents=True, exist_ok=True)
        pipeline, ev = train_and_evaluate(data, folder / "calibration.png")
        artifact = folder / "model.pkl"
        artifact.write_bytes(pickle.dumps(pipeline))
        notice = folder / "notice.md"
        notice.write_text(render_notice(model_id, grant_id, purpose, ev))
        metrics = {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(ev).items()}
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
                details={"grant": grant_id, "persons": data.persons, "landmarks": len(data.y),
                         "auroc": ev.auroc, "brier": round(ev.brier, 4)},
            )  # fmt: skip
        return TrainedModel(model_id, ev, artifact, notice)

    def load(self, model_id: str) -> Pipeline:
        with self.engine.connect() as conn:
            row = conn.execute(select(model_version).where(model_version.c.id == model_id)).first()
        if row is None:
            raise ModelError(f"no model '{model_id}' in the registry")
        pipeline: Pipeline = pickle.loads(Path(row.artifact).read_bytes())
        return pipeline

    def features(self) -> tuple[str, ...]:
        return FEATURES

    def metrics(self, model_id: str) -> dict[str, Any]:
        with self.engine.connect() as conn:
            row = conn.execute(select(model_version).where(model_version.c.id == model_id)).first()
        if row is None:
            raise ModelError(f"no model '{model_id}' in the registry")
        result: dict[str, Any] = orjson.loads(row.metrics)
        return result
