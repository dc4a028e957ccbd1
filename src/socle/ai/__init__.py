"""AI: model definitions, training through the workspace, evaluation, documents, registry.

A model is defined as data (:mod:`~socle.ai.definitions`), trained on a grant's
consenting persons, evaluated with every figure checked like a release,
documented (card, notices FR/EN, TRIPOD+AI, AI-Act Annex IV), stored as a
skops artefact with its lineage, and moved between stages by audited decisions.
"""

from socle.ai.artifacts import UnsafeArtifactError
from socle.ai.dataset import FEATURES, TARGET_LABEL, TrainingSet, build_training_set, needs
from socle.ai.definitions import (
    DEFAULT_DEFINITION,
    DefinitionError,
    ModelDefinition,
    definition,
    load_definitions,
)
from socle.ai.lineage import Link, code_sha256, trace_model, training_set_sha256
from socle.ai.metrics import auroc
from socle.ai.network import NetworkScorer, pipeline_from_network
from socle.ai.outcome import OUTCOME_COLUMNS, outcome_sql
from socle.ai.reference import bin_shares
from socle.ai.registry import (
    TABLES,
    FederatedTraining,
    ModelInfo,
    ModelRegistry,
    RegisteredModel,
    TrainedModel,
    Transition,
)
from socle.ai.scoring import LinearScorer, Scorer, pipeline_from_weights, scorer_of
from socle.ai.stages import STAGES, ModelSuspendedError, StageError
from socle.ai.training import (
    Evaluation,
    ModelError,
    ModelNotFoundError,
    TooFewForTrainingError,
    TrainingRules,
    explain,
    make_pipeline,
)

__all__ = [
    "DEFAULT_DEFINITION",
    "FEATURES",
    "OUTCOME_COLUMNS",
    "STAGES",
    "TABLES",
    "TARGET_LABEL",
    "DefinitionError",
    "Evaluation",
    "FederatedTraining",
    "LinearScorer",
    "Link",
    "ModelDefinition",
    "ModelError",
    "ModelInfo",
    "ModelNotFoundError",
    "ModelRegistry",
    "ModelSuspendedError",
    "NetworkScorer",
    "RegisteredModel",
    "Scorer",
    "StageError",
    "TooFewForTrainingError",
    "TrainedModel",
    "TrainingRules",
    "TrainingSet",
    "Transition",
    "UnsafeArtifactError",
    "auroc",
    "bin_shares",
    "build_training_set",
    "code_sha256",
    "definition",
    "explain",
    "load_definitions",
    "make_pipeline",
    "needs",
    "outcome_sql",
    "pipeline_from_network",
    "pipeline_from_weights",
    "scorer_of",
    "trace_model",
    "training_set_sha256",
]
