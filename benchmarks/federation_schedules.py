"""The neural network's FedAvg schedules against the same network trained centrally, in-process
(no Flower): the sample's training set drawn with several key folders (new pseudonyms, so new
held-out persons), its persons split over 3 sites round-robin and at random, each schedule
(rounds × local steps at a learning rate) run with the sites' own ``mlp.local_steps`` and
``fed_average``; prints the largest and mean |federated − central| held-out AUROC and the
largest weight difference.

Usage: ``python benchmarks/federation_schedules.py [--keys 6] [--splits 4]`` (~2 min).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np

from socle.ai import build_training_set
from socle.config import Settings
from socle.demo import bundled_sample
from socle.federation import FEDERATION_ACTOR, committee_grant, learning, mlp
from socle.node import Node

SCHEDULES = [(3, 200, 0.5), (6, 100, 0.5), (10, 60, 0.5), (30, 20, 0.5), (60, 10, 0.5),
             (120, 5, 0.5), (12, 5, 2.0), (30, 2, 2.0), (60, 1, 2.0)]  # fmt: skip


def draws(keys: int) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    out = []
    for _ in range(keys):
        with tempfile.TemporaryDirectory() as tmp:
            node = Node.open(Settings(home=Path(tmp) / "c", keys_dir=Path(tmp) / "keys"))
            try:
                node.load(bundled_sample(), actor="bench")
                grant = committee_grant(node, "central", FEDERATION_ACTOR, "central")
                with node.workspace.session(
                    grant, "federated_training", actor=FEDERATION_ACTOR
                ) as ws:
                    d = build_training_set(ws)
            finally:
                node.close()
        out.append((d.X, d.y, d.groups))
    return out


def main() -> None:
    from sklearn.metrics import roc_auc_score

    parser = argparse.ArgumentParser()
    parser.add_argument("--keys", type=int, default=6)
    parser.add_argument("--splits", type=int, default=4)
    args = parser.parse_args()
    found: dict[tuple[int, int, float], list[tuple[float, float]]] = {s: [] for s in SCHEDULES}
    for X, y, g in draws(args.keys):
        test = learning.held_out(g)
        tX, ty, tg = X[~test], y[~test], g[~test]
        if len(set(y[test])) < 2:
            continue  # no AUROC on a held-out set of one class
        prep = learning.combine_sums([learning.feature_sums(tX)])
        Z, Zt = prep.apply(tX), prep.apply(X[test])
        persons = np.unique(tg)
        for seed in range(args.splits):
            order = np.random.default_rng(seed).permutation(persons) if seed else persons
            site = {p: i % 3 for i, p in enumerate(order)}
            parts = [np.array([site[p] == s for p in tg]) for s in range(3)]
            for rounds, steps, lr in SCHEDULES:
                central = mlp.central_fit(Z, ty, steps=rounds * steps, lr=lr)
                w = mlp.initial(Z.shape[1])
                for _ in range(rounds):
                    w = learning.fed_average([(mlp.local_steps(w, Z[m], ty[m], steps=steps, lr=lr,
                                                               network_rows=len(ty)), int(m.sum()))
                                              for m in parts])  # fmt: skip
                gap = abs(roc_auc_score(y[test], mlp.predict(w, Zt))
                          - roc_auc_score(y[test], mlp.predict(central, Zt)))  # fmt: skip
                apart = float(np.max(np.abs(np.subtract(w, central))))
                found[(rounds, steps, lr)].append((gap, apart))
    print("rounds × steps @ lr | max ΔAUROC | mean ΔAUROC | max weight difference | cases")
    for (rounds, steps, lr), rows in found.items():
        a = np.array(rows)
        print(f"{rounds:4d} × {steps:3d} @ {lr:g} | {a[:, 0].max():.4f} | {a[:, 0].mean():.4f} | "
              f"{a[:, 1].max():.3f} | {len(a)}")  # fmt: skip


if __name__ == "__main__":
    main()
