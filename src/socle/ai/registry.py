"""The model registry: versions, stages, lineage, evaluation and documents of every model.

A model is registered once (trained here through the workspace checkpoint, or
trained elsewhere — a federation — with its lineage) and then only moves
between stages by audited decisions (:mod:`socle.ai.stages`). Its artefact is
a skops file checked by hash and type on load (:mod:`socle.ai.artifacts`).
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, Text, func, select

from socle.ai import artifacts
from socle.ai.dataset import FEATURES, build_training_set
from socle.ai.definitions import DEFAULT_DEFINITION, ModelDefinition, definition
from socle.ai.lineage import code_sha256, library_versions, lineage_summary, training_set_sha256
from socle.ai.reference import reference_profile
from socle.ai.scoring import Scorer, scorer_of
from socle.ai.stages import ModelSuspendedError, StageError, check_transition
from socle.ai.training import (
    Evaluation,
    ModelNotFoundError,
    TrainingRules,
    check_trainable,
    train_and_evaluate,
)
from socle.audit import AuditLog
from socle.store import Json, Page, Timestamp, fetch_page

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

    from socle.governance import Governance
    from socle.release import ReleasePolicy
    from socle.workspace import Workspace

TABLES = MetaData()  # this context's tables; socle.node composes the store

model_version = Table(
    "ai_model",
    TABLES,
    Column("id", String(40), primary_key=True),
    Column("name", String(120), nullable=False),
    Column("grant_id", String(40), nullable=False),
    Column("purpose", String(60), nullable=False),
    Column("created_at", Timestamp("seconds"), nullable=False),
    Column("metrics", Json, nullable=False),
    Column("artifact", String(500), nullable=False),
    Column("notice", String(500), nullable=False),
)
model_record = Table(
    "ai_model_record",
    TABLES,
    Column("model_id", String(40), primary_key=True),
    Column("definition_id", String(60), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("stage", String(20), nullable=False),
    Column("stage_reason", Text, nullable=False),
    Column("stage_at", Timestamp("seconds"), nullable=False),
    Column("artifact_sha256", String(64), nullable=False),
    Column("notice_sha256", String(64), nullable=False),
    Column("features", Json, nullable=False),
    Column("lineage", Json, nullable=False),
    Column("report", Json, nullable=False),
    Column("restricted_to", Json),  # care contexts the college restricted the model to
    Column("reference", Json),  # training distributions, for drift monitoring (never published)
)
model_transition = Table(
    "ai_model_transition",
    TABLES,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("model_id", String(40), nullable=False, index=True),
    Column("from_stage", String(20), nullable=False),
    Column("to_stage", String(20), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("role", String(40), nullable=False),
    Column("reason", Text, nullable=False),
    Column("at", Timestamp("seconds"), nullable=False),
)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class RegisteredModel:
    """A model of the registry as other contexts may read it (no artefact path)."""

    id: str
    name: str
    purpose: str
    grant_id: str
    created_at: str
    metrics: dict[str, Any]
    notice: str  # the standardised user notice (markdown, English)


@dataclass(frozen=True)
class ModelInfo:
    """A model's version, stage and what a prediction carries about it."""

    id: str
    definition_id: str
    version: int
    stage: str
    stage_reason: str
    stage_at: str
    features: tuple[str, ...]
    notice_sha256: str
    restricted_to: tuple[str, ...] | None
    grant_id: str
    artifact_sha256: str = ""

    @property
    def label(self) -> str:
        return f"{self.definition_id} v{self.version}"


@dataclass(frozen=True)
class Transition:
    model_id: str
    from_stage: str
    to_stage: str
    actor: str
    role: str
    reason: str
    at: str


@dataclass(frozen=True)
class FederatedTraining:
    """Where a federated model was trained: the study, the sites that took part (names or
    their grants), the rounds and the strategy; kept in its lineage and registration event."""

    study_id: str
    sites: tuple[str, ...]
    rounds: int
    strategy: str = "FedAvg"
    per_round: tuple[dict[str, Any], ...] = ()  # counts and bytes of each round, no rows

    def as_dict(self) -> dict[str, Any]:
        return {"study": self.study_id, "sites": list(self.sites), "rounds": self.rounds,
                "strategy": self.strategy, "per_round": [dict(r) for r in self.per_round]}  # fmt: skip


@dataclass(frozen=True)
class TrainedModel:
    id: str
    evaluation: Evaluation
    artifact: Path
    notice: Path
    report: dict[str, Any] | None = None
    folder: Path | None = None


class ModelRegistry:
    def __init__(
        self,
        engine: Engine,
        audit: AuditLog,
        models_dir: Path,
        rules: TrainingRules | None = None,
        policy: ReleasePolicy | None = None,
        governance: Governance | None = None,
    ) -> None:
        self.engine, self.audit, self.models_dir = engine, audit, models_dir
        self.rules = rules or TrainingRules()
        self.policy, self.governance = policy, governance
        self._loaded: dict[tuple[str, str], Pipeline] = {}
        self._scorers: dict[tuple[str, str], Scorer] = {}

    # -- registration ---------------------------------------------------------------

    def train(
        self,
        workspace: Workspace,
        grant_id: str,
        *,
        actor: str,
        definition_id: str = DEFAULT_DEFINITION,
    ) -> TrainedModel:
        """Build the definition's training set through the workspace checkpoint, fit,
        evaluate (every figure checked like a release), document and register.

        The training set holds only persons whose choices allow every purpose
        training needs; training below the rules' minimums is refused before
        anything is written.
        """
        from socle.ai.documents import write_documents
        from socle.ai.evaluation import evaluate
        from socle.release import ReleasePolicy

        task = definition(definition_id)
        with workspace.session(grant_id, "model_training", actor=actor) as ws:
            data = build_training_set(ws, task)
            purpose = ws.grant.purpose
        check_trainable(data, self.rules)
        purposes = workspace.consent.taxonomy.purposes_for(purpose, "model_training")
        role = workspace.role_of(grant_id, actor, "model_training")
        model_id = "model-" + uuid.uuid4().hex[:8]
        folder = self.models_dir / model_id
        folder.mkdir(parents=True, exist_ok=True)
        pipeline, ev = train_and_evaluate(data, folder / "calibration.png", self.rules)
        report = evaluate(data, pipeline, model_id, folder, self.rules,
                          self.policy or ReleasePolicy())  # fmt: skip
        artifact = folder / "model.skops"
        lineage = {
            "source": "socle", "grant": grant_id, "purpose": purpose, "purposes": list(purposes),
            "definition_id": task.id, "definition": task.as_dict(),
            "definition_sha256": task.sha256, "code_sha256": code_sha256(),
            "training_set_sha256": training_set_sha256(data.X, data.y, data.groups),
            "training_set": {"persons": ev.persons, "rows": ev.rows, "events": ev.events},
            "parameters": _parameters(pipeline), "libraries": library_versions(),
            "artifact_sha256": artifacts.save(pipeline, artifact), "trained_by": actor,
            "trained_at": _now(), "job": None,
        }  # fmt: skip
        version = self._next_version(task.id)
        notice = write_documents(folder, model_id, version, task, lineage, report, self.rules)
        metrics = {k: (v.name if isinstance(v, Path) else v) for k, v in asdict(ev).items()}
        reference = reference_profile(
            data.X, pipeline.predict_proba(data.X)[:, 1], task.feature_names
        )
        self._insert(model_id, task, version, grant_id, purpose, metrics, artifact, notice,
                     lineage, report, actor=actor, role=role, action="model.train",
                     reference=reference)  # fmt: skip
        return TrainedModel(model_id, ev, artifact, notice, report, folder)

    def register_external(
        self,
        pipeline: Pipeline,
        *,
        definition_id: str,
        grant_id: str,
        purpose: str,
        training_set_sha256: str,
        code_sha256: str,
        parameters: dict[str, Any],
        report: dict[str, Any],
        source: str,
        actor: str,
        role: str,
        job: str | None = None,
        reference: dict[str, Any] | None = None,
        federation: FederatedTraining | None = None,
        training_set: dict[str, int] | None = None,
    ) -> str:
        """Register a model trained elsewhere (e.g. federated learning) with its lineage.

        ``report`` holds figures already checked by the caller's own output
        checks (e.g. aggregated across sites), ``training_set`` counts already
        disclosed (persons, rows, events); ``federation`` names the study, sites and
        rounds. The pipeline must score the definition's inputs (see
        :func:`~socle.ai.pipeline_from_weights` and, for a small neural network,
        :func:`~socle.ai.pipeline_from_network`); the model starts in development and
        follows the same stages and documents as one trained here.
        """
        from socle.ai.documents import write_documents

        task = definition(definition_id)
        scorer_of(pipeline, task.feature_names)  # refuses what could never predict
        model_id = "model-" + uuid.uuid4().hex[:8]
        folder = self.models_dir / model_id
        folder.mkdir(parents=True, exist_ok=True)
        artifact = folder / "model.skops"
        lineage = {
            "source": source, "grant": grant_id, "purpose": purpose, "definition_id": task.id,
            "definition": task.as_dict(), "definition_sha256": task.sha256,
            "code_sha256": code_sha256, "training_set_sha256": training_set_sha256,
            "parameters": parameters, "libraries": library_versions(),
            "artifact_sha256": artifacts.save(pipeline, artifact), "trained_by": actor,
            "trained_at": _now(), "job": job,
        }  # fmt: skip
        if federation is not None:
            lineage["federation"] = federation.as_dict()
        if training_set is not None:
            lineage["training_set"] = dict(training_set)
        version = self._next_version(task.id)
        notice = write_documents(folder, model_id, version, task, lineage, report, self.rules)
        self._insert(model_id, task, version, grant_id, purpose, {}, artifact, notice, lineage,
                     report, actor=actor, role=role, action="model.register",
                     reference=reference)  # fmt: skip
        return model_id

    def _next_version(self, definition_id: str) -> int:
        with self.engine.connect() as conn:
            n = conn.execute(
                select(func.count()).where(model_record.c.definition_id == definition_id)
            ).scalar_one()
        return int(n) + 1

    def _insert(
        self, model_id: str, task: ModelDefinition, version: int, grant_id: str, purpose: str,
        metrics: dict[str, Any], artifact: Path, notice: Path, lineage: dict[str, Any],
        report: dict[str, Any], *, actor: str, role: str, action: str,
        reference: dict[str, Any] | None,
    ) -> None:  # fmt: skip
        now = _now()
        with self.engine.begin() as conn:
            conn.execute(
                model_version.insert().values(
                    id=model_id, name=task.id, grant_id=grant_id, purpose=purpose, created_at=now,
                    metrics=metrics, artifact=str(artifact),
                    notice=str(notice),
                )
            )  # fmt: skip
            conn.execute(
                model_record.insert().values(
                    model_id=model_id, definition_id=task.id, version=version,
                    stage="development", stage_reason="registered", stage_at=now,
                    artifact_sha256=lineage["artifact_sha256"],
                    notice_sha256=artifacts.sha256(notice),
                    features=list(task.feature_names), lineage=lineage, report=report,
                    reference=reference or None,
                )
            )  # fmt: skip
            self.audit.append(
                conn, actor=actor, role=role, action=action, object=model_id, purpose=purpose,
                details={**lineage_summary(lineage), "version": version,
                         "persons": lineage.get("training_set", {}).get("persons"),
                    "landmarks": lineage.get("training_set", {}).get("rows"),
                         "auroc": report.get("discrimination", {}).get("auroc")},
            )  # fmt: skip

    # -- stages ---------------------------------------------------------------------

    def transition(
        self, model_id: str, target: str, *, actor: str, role: str, reason: str
    ) -> ModelInfo:
        """Move a model to another stage: a decision by a role the lifecycle names, audited."""
        if not reason.strip():
            raise StageError(f"model {model_id}: a stage change needs a reason")
        info = self.info(model_id)
        check_transition(model_id, info.stage, target, role)
        if target == "validated":
            self._check_validator(model_id, actor)
        now = _now()
        with self.engine.begin() as conn:
            conn.execute(
                model_record.update().where(model_record.c.model_id == model_id)
                .values(stage=target, stage_reason=reason, stage_at=now)
            )  # fmt: skip
            conn.execute(
                model_transition.insert().values(
                    model_id=model_id, from_stage=info.stage, to_stage=target, actor=actor,
                    role=role, reason=reason, at=now,
                )
            )  # fmt: skip
            self.audit.append(
                conn, actor=actor, role=role, action="model.stage", object=model_id,
                details={"from": info.stage, "to": target, "reason": reason,
                         "grant": info.grant_id},
            )  # fmt: skip
        return self.info(model_id)

    def _check_validator(self, model_id: str, actor: str) -> None:
        """The validator is an appointed committee member, not the trainer, not on the team."""
        lineage = self.lineage(model_id)
        if lineage.get("trained_by") == actor:
            raise StageError(f"model {model_id}: its trainer cannot validate it")
        if self.governance is None:
            return
        if actor not in {m.name for m in self.governance.members() if m.active}:
            raise StageError(f"model {model_id}: {actor} is not an appointed committee member")
        grant = self.governance.grant(str(lineage["grant"]))
        team = {t.name for t in self.governance.request(grant.request_id)[0].team}
        if actor in team:
            raise StageError(f"model {model_id}: {actor} is on the project's team")

    def restrict(self, model_id: str, care_contexts: tuple[str, ...] | None, *, actor: str,
                 role: str, reason: str) -> ModelInfo:  # fmt: skip
        """Restrict predictions to some care contexts (``None`` lifts the restriction)."""
        if role != "college_member":
            raise StageError(f"model {model_id}: restricting its use is the college's decision")
        value = None if care_contexts is None else list(care_contexts)
        with self.engine.begin() as conn:
            conn.execute(
                model_record.update().where(model_record.c.model_id == model_id)
                .values(restricted_to=value)
            )  # fmt: skip
            self.audit.append(
                conn, actor=actor, role=role, action="model.restrict", object=model_id,
                details={"care_contexts": list(care_contexts or ()), "reason": reason},
            )  # fmt: skip
        return self.info(model_id)

    def transitions(self, model_id: str) -> list[Transition]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(model_transition).where(model_transition.c.model_id == model_id)
                .order_by(model_transition.c.id)
            ).all()  # fmt: skip
        return [Transition(r.model_id, r.from_stage, r.to_stage, r.actor, r.role, r.reason, r.at)
                for r in rows]  # fmt: skip

    def ready_for_care(self, model_id: str, care_context: str) -> ModelInfo:
        """The model if it may predict in this care context; otherwise why not."""
        info = self.info(model_id)
        if info.stage != "deployed":
            raise ModelSuspendedError(
                f"model {model_id} ({info.label}) makes no prediction: it is {info.stage} "
                f"since {info.stage_at} — {info.stage_reason}"
            )
        if info.restricted_to is not None and care_context not in info.restricted_to:
            raise ModelSuspendedError(
                f"model {model_id} ({info.label}) is restricted by the college to "
                f"{', '.join(info.restricted_to) or 'no care context'}"
            )
        return info

    # -- reading --------------------------------------------------------------------

    def load(self, model_id: str, info: ModelInfo | None = None) -> Pipeline:
        """The fitted pipeline, from its skops artefact checked by hash and types (cached by
        artefact hash, so a prediction reads the store once, for the model's stage)."""
        info = info or self.info(model_id)
        key = (model_id, info.artifact_sha256)
        if key not in self._loaded:
            self._loaded[key] = artifacts.load(
                self.models_dir / model_id / "model.skops", info.artifact_sha256, model_id
            )
        return self._loaded[key]

    def scorer(self, model_id: str, info: ModelInfo | None = None) -> Scorer:
        """The model in closed form (score and SHAP values of one patient), built once per
        artefact version from the hash-checked pipeline."""
        info = info or self.info(model_id)
        key = (model_id, info.artifact_sha256)
        if key not in self._scorers:
            self._scorers[key] = scorer_of(self.load(model_id, info), info.features)
        return self._scorers[key]

    def info(self, model_id: str) -> ModelInfo:
        """The model's version, stage and restrictions, read fresh (one query)."""
        with self.engine.connect() as conn:
            r = conn.execute(
                select(model_record, model_version.c.grant_id)
                .join(model_version, model_version.c.id == model_record.c.model_id)
                .where(model_record.c.model_id == model_id)
            ).first()  # fmt: skip
        if r is None:
            raise ModelNotFoundError(f"no model '{model_id}' in the registry")
        return ModelInfo(
            r.model_id, r.definition_id, r.version, r.stage, r.stage_reason, r.stage_at,
            tuple(r.features), r.notice_sha256,
            None if r.restricted_to is None else tuple(r.restricted_to),
            str(r.grant_id), r.artifact_sha256,
        )  # fmt: skip

    def features(self, model_id: str | None = None) -> tuple[str, ...]:
        return FEATURES if model_id is None else self.info(model_id).features

    def lineage(self, model_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self._record(model_id).lineage
        return result

    def reference(self, model_id: str) -> dict[str, Any] | None:
        """The training distributions of inputs and scores (for drift monitoring only)."""
        result: dict[str, Any] | None = self._record(model_id).reference
        return result or None

    def report(self, model_id: str) -> dict[str, Any]:
        """The model's evaluation report (figures checked like a release)."""
        result: dict[str, Any] = self._record(model_id).report
        return result

    def document(self, model_id: str, name: str) -> Path:
        """A generated document of the model (card, notices, TRIPOD+AI, Annex IV, report)."""
        from socle.ai.documents import DOCUMENTS

        if name not in DOCUMENTS:
            raise ModelNotFoundError(f"no document '{name}'; documents: {', '.join(DOCUMENTS)}")
        path = self.models_dir / model_id / DOCUMENTS[name]
        if not path.is_file():
            raise ModelNotFoundError(f"model {model_id} has no {name} document")
        return path

    def metrics(self, model_id: str) -> dict[str, Any]:
        """The model's checked metrics (counts disclosed like a release; no server path)."""
        result: dict[str, Any] = self._row(model_id).metrics
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

    def _record(self, model_id: str) -> Any:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(model_record).where(model_record.c.model_id == model_id)
            ).first()
        if row is None:
            raise ModelNotFoundError(f"no model '{model_id}' in the registry")
        return row

    def models(self) -> list[ModelInfo]:
        """Every model's version and stage, oldest first."""
        with self.engine.connect() as conn:
            ids = conn.execute(
                select(model_version.c.id).order_by(model_version.c.created_at)
            ).scalars().all()  # fmt: skip
        return [self.info(i) for i in ids]

    def models_page(self, limit: int, offset: int) -> Page[ModelInfo]:
        """One page of the models (oldest first), and how many there are."""
        query = select(model_version.c.id).order_by(model_version.c.created_at, model_version.c.id)
        with self.engine.connect() as conn:
            ids = fetch_page(conn, query, limit, offset, lambda r: str(r.id))
        return Page([self.info(i) for i in ids.items], ids.total, limit, offset)

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
                r.metrics,
                Path(r.notice).read_text() if Path(r.notice).exists() else "",
            )
            for r in rows
        ]


def _parameters(pipeline: Pipeline) -> dict[str, Any]:
    """The estimator's parameters, as JSON values."""
    params = pipeline[-1].get_params()
    return {k: v if isinstance(v, (int, float, str, bool, type(None))) else str(v)
            for k, v in sorted(params.items())}  # fmt: skip
