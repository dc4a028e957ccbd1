"""AI: training sets through the workspace, training, evaluation, notices, registry."""

from socle.ai.dataset import FEATURES, TARGET_LABEL, TrainingSet, build_training_set
from socle.ai.registry import TABLES, ModelRegistry, RegisteredModel, TrainedModel
from socle.ai.training import (
    Evaluation,
    ModelError,
    ModelNotFoundError,
    TooFewForTrainingError,
    TrainingRules,
    explain,
)

__all__ = [
    "FEATURES",
    "TABLES",
    "TARGET_LABEL",
    "Evaluation",
    "ModelError",
    "ModelNotFoundError",
    "ModelRegistry",
    "RegisteredModel",
    "TooFewForTrainingError",
    "TrainedModel",
    "TrainingRules",
    "TrainingSet",
    "build_training_set",
    "explain",
]
