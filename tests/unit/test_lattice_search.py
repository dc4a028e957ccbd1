"""The lattice search: the generalisation it keeps loses least among all that meet the target,
as an exhaustive walk of the lattice finds, while it evaluates only part of the lattice."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from pycanon import anonymity

from socle.release import HIERARCHIES
from socle.release.anonymise import anonymise
from socle.release.coding import Coded, Evaluation, Target, evaluate

QIS = {
    "age": HIERARCHIES["age"],
    "sex": HIERARCHIES["category"],
    "zip": HIERARCHIES["zip"],
    "admitted": HIERARCHIES["date"],
}


def _population(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    admitted = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 700, n), "D")
    return pd.DataFrame(
        {
            "age": rng.integers(0, 95, n),
            "sex": rng.choice(["F", "M"], n),
            "zip": rng.choice([f"{z:05d}" for z in range(1000, 9000, 37)], n),
            "admitted": admitted.strftime("%Y-%m-%d"),
            "diagnosis": rng.choice(["asthma", "diabetes", "copd", "none"], n, p=[.2, .3, .1, .4]),
        }
    )  # fmt: skip


def _exhaustive(data: pd.DataFrame, target: Target) -> Evaluation:
    coded = Coded(data, QIS, ["diagnosis"], with_sensitive=target.l > 1 or target.t < 1)
    limit = int(target.max_suppression * len(data))
    passing = (
        evaluate(coded, node, target)
        for node in itertools.product(*(range(h + 1) for h in coded.heights))
    )
    return min((e for e in passing if e.suppressed <= limit), key=lambda e: e.loss)


def _ncp(data: pd.DataFrame, out: pd.DataFrame, levels: dict[str, int]) -> float:
    """NCP recomputed from the released labels alone: (g-1)/(D-1) per value, 1 per missing row."""
    total = 0.0
    for qi, h in QIS.items():
        labels = h.levels[levels[qi]](data[qi]).astype(str)
        width = data.groupby(labels.to_numpy())[qi].nunique()
        total += float(((out[qi].astype(str).map(width) - 1) / (data[qi].nunique() - 1)).sum())
    return (total / len(QIS) + len(data) - len(out)) / len(data)


@pytest.mark.parametrize(
    ("seed", "target"),
    [
        (1, Target(k=5, l=1, t=1.0, max_suppression=0.05)),
        (2, Target(k=10, l=1, t=1.0, max_suppression=0.02)),
        (3, Target(k=5, l=2, t=1.0, max_suppression=0.05)),
    ],
)
def test_search_keeps_the_least_loss_node_an_exhaustive_walk_finds(
    seed: int, target: Target
) -> None:
    data = _population(3_000, seed)
    done = anonymise(data, QIS, ["diagnosis"], target)
    best = _exhaustive(data, target)
    assert done.loss == pytest.approx(best.loss, abs=1e-9)
    assert done.nodes_evaluated < done.nodes / 2  # pruned, not walked
    assert done.suppressed <= target.max_suppression * len(data)
    out = done.data.astype({q: str for q in QIS})
    assert anonymity.k_anonymity(out, list(QIS)) >= target.k
    assert anonymity.l_diversity(out, list(QIS), ["diagnosis"]) >= target.l


def test_reported_loss_is_the_ncp_of_the_released_rows() -> None:
    data = _population(2_000, 4)
    done = anonymise(data, QIS, ["diagnosis"], Target(k=5, l=2, t=0.4, max_suppression=0.05))
    assert done.loss == pytest.approx(_ncp(data, done.data, done.levels), abs=1e-9)
    assert anonymity.t_closeness(done.data.astype(str), list(QIS), ["diagnosis"]) <= 0.4 + 1e-9


def test_more_suppression_allowed_never_costs_more_information() -> None:
    data = _population(2_000, 5)
    strict = anonymise(data, QIS, ["diagnosis"], Target(10, 1, 1.0, 0.0))
    loose = anonymise(data, QIS, ["diagnosis"], Target(10, 1, 1.0, 0.1))
    assert strict.suppressed == 0
    assert loose.loss <= strict.loss
