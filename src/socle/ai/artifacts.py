"""Model artefacts in a safe format: skops, checked against a list of trusted types.

A pickle runs code when it is loaded, so Socle never unpickles a model. An
artefact is written with skops, its SHA-256 is kept in the registry, and it is
loaded only if its hash matches and every type it holds is one Socle trained
with. An older ``.pkl`` artefact is refused: retrain the model.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

from socle.ai.training import ModelError

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

TRUSTED = frozenset(
    {
        "sklearn.pipeline.Pipeline",
        "sklearn.impute._base.SimpleImputer",
        "sklearn.preprocessing._data.StandardScaler",
        "sklearn.linear_model._logistic.LogisticRegression",
        "sklearn.neural_network._multilayer_perceptron.MLPClassifier",
        "sklearn.preprocessing._label.LabelBinarizer",
        "numpy.dtype",
        "numpy.ndarray",
        "builtins.float",
        "builtins.int",
        "builtins.str",
        "builtins.list",
        "builtins.dict",
        "builtins.tuple",
        "builtins.bool",
        "builtins.NoneType",
    }
)


class UnsafeArtifactError(ModelError):
    """An artefact that is not a skops file Socle wrote, or whose content changed."""

    exit_code = 4


def save(pipeline: Pipeline, path: Path) -> str:
    """Write ``pipeline`` as a skops file; return its SHA-256."""
    import skops.io as sio

    sio.dump(pipeline, path)
    return sha256(path)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load(path: Path, expected_sha256: str, model_id: str) -> Pipeline:
    """Load a skops artefact after checking its hash and that it holds only trusted types."""
    import skops.io as sio

    if path.suffix != ".skops":
        raise UnsafeArtifactError(
            f"model {model_id}: its artefact is not in the skops format (older models were "
            "pickled, and Socle never unpickles); retrain it"
        )
    if not path.is_file():
        raise UnsafeArtifactError(f"model {model_id}: its artefact is missing from the store")
    if sha256(path) != expected_sha256:
        raise UnsafeArtifactError(
            f"model {model_id}: its artefact changed since registration (hash mismatch); "
            "it is not loaded"
        )
    untrusted = set(sio.get_untrusted_types(file=path)) - TRUSTED
    if untrusted:
        raise UnsafeArtifactError(
            f"model {model_id}: its artefact holds types Socle does not trust: "
            f"{', '.join(sorted(untrusted))}"
        )
    pipeline: Pipeline = sio.load(path, trusted=sorted(set(sio.get_untrusted_types(file=path))))
    return pipeline
