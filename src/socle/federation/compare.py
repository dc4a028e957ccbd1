"""The federated figures beside the central ones: the same model and the same counts on the
pooled persons (the demo and the benchmark; the evaluator holds the pooled data)."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from socle.ai import build_training_set
from socle.federation import learning, mlp
from socle.federation.hub import FederatedModel
from socle.federation.studies import FEDERATION_ACTOR
from socle.node import Node


@dataclass(frozen=True)
class ModelComparison:
    federated_auroc: float
    central_auroc: float
    central_seconds: float
    held_out_rows: int
    weights_difference: float  # the largest difference between the two models' weights

    @property
    def difference(self) -> float:
        return abs(self.federated_auroc - self.central_auroc)


def compare_model(central: Node, grant: str, model: FederatedModel) -> ModelComparison:
    """AUROC of the federated and of the centrally trained model on the same held-out persons.

    ``central_seconds`` is what a central study of the pooled persons costs, as the federated
    training's wall time covers it at the sites: the training set read through the checkpoint
    (grant, AI-training consent), the fit, the held-out AUROC."""
    from sklearn.metrics import roc_auc_score

    started = time.monotonic()
    with central.workspace.session(grant, "federated_training", actor=FEDERATION_ACTOR) as ws:
        data = build_training_set(ws)
    test = learning.held_out(data.groups)
    train_X, train_y = data.X[~test], data.y[~test]
    prep = learning.combine_sums([learning.feature_sums(train_X)])
    family = mlp if model.family == "mlp" else learning
    if model.family == "mlp":  # the same network, the same steps in all, on the pooled rows
        lineage = model.lineage
        steps = int(lineage.get("steps") or mlp.STEPS) * int(lineage.get("rounds") or mlp.ROUNDS)
        lr = float(lineage.get("lr") or mlp.LR)
        rows = int(lineage.get("network_rows") or 0) or None  # the federation's divisor
        central_weights = mlp.central_fit(prep.apply(train_X), train_y, steps=steps, lr=lr,
                                          network_rows=rows)  # fmt: skip
    else:
        central_weights = learning.central_fit(train_X, train_y, prep)
    X, y = data.X[test], data.y[test]
    pooled = float(roc_auc_score(y, family.predict(central_weights, prep.apply(X))))
    central_seconds = time.monotonic() - started  # a central study: read, fit, evaluate
    fed_prep = learning.Preprocessing(tuple(model.means), tuple(model.stds))
    federated = float(roc_auc_score(y, family.predict(model.weights, fed_prep.apply(X))))
    apart = float(np.max(np.abs(np.subtract(model.weights, central_weights))))
    return ModelComparison(federated, pooled, central_seconds, len(y), apart)
