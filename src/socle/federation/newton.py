"""Federated Newton: the central logistic regression's exact optimum, from the sites' sums.

One-shot averaging of the sites' local optima lands on the central fit when sites are large,
and drifts when they are small (a site of ~60 landmarks is nearly separable: its own optimum is
far from the pooled one). Here the hub minimises the central objective itself — the summed log
loss over every site's training rows plus ``0.5 * L2 * ||coefficients||²``, on the network's
standardisation, as :func:`socle.federation.learning.central_fit` does — by Newton's method:
each round, every site sends the summed loss, gradient and Hessian of its rows at the weights
the hub proposes (aggregates, like the statistics round), the hub adds them and the penalty,
and takes the step. A round proposes a few step lengths at once (a line search in one round),
and the first round the better of its starting points (the FedAvg average, zero). It stops when
the step is below the tolerance: the weights are then within about that of the optimum, and
the gradient's size at them is the certificate recorded in the model's lineage.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from socle.federation.learning import L2

LENGTHS = (1.0, 0.5, 0.25, 0.125)  # step lengths proposed in one round (a line search)
ARMIJO = 1e-4  # a length is accepted when it gains this share of the step's predicted gain
MAX_CANDIDATES = 4  # a site answers for at most this many weight vectors a round
REACH = 4.0  # the farthest a round moves any weight (standardised features): a trust region


def site_sums(weights: Sequence[float], Z: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    """What a site sends at one weight vector: the summed log loss, its gradient and its Hessian
    over the site's training rows (the hub adds the penalty once), and ``spread``, the effective
    number of rows they rest on (:func:`effective_rows`, checked at the site before they leave)."""
    w = np.asarray(weights, dtype=float)
    Z1 = np.hstack([Z, np.ones((len(y), 1))])
    z = Z1 @ w
    small = np.exp(-np.abs(z))  # unclipped (a clipped sigmoid makes far rows look alike)
    p = np.where(z >= 0, 1.0 / (1.0 + small), small / (1.0 + small))
    curvature = small / (1.0 + small) ** 2
    residual = p - y
    return {
        "loss": float(np.logaddexp(0.0, z).sum() - z @ y),
        "gradient": (Z1.T @ residual).tolist(),
        "hessian": ((Z1.T * curvature) @ Z1).tolist(),
        "spread": min(effective_rows(curvature), effective_rows(residual)),
    }


def effective_rows(weights: np.ndarray) -> float:
    """How many rows a weighted sum rests on, ``(Σ|v|)² / Σv²``: n when the weights are equal,
    1 when one row carries it all. Weights a hub chose to single out a few persons show here."""
    v = np.abs(np.asarray(weights, dtype=float))
    square = float(v @ v)
    return float(v.sum() ** 2 / square) if square > 0 else 0.0


@dataclass(frozen=True)
class NewtonStep:
    """The central objective at ``weights`` from the sites' sums, and its Newton step."""

    weights: list[float]
    step: list[float]  # the next weights are weights - length * step
    gradient: list[float]
    objective: float  # summed log loss + 0.5 * L2 * ||coefficients||²

    @property
    def size(self) -> float:
        """The step's largest component: how far the weights still are from the optimum."""
        return float(np.max(np.abs(self.step)))

    @property
    def gradient_norm(self) -> float:
        """The gradient's largest component: zero at the optimum (the certificate)."""
        return float(np.max(np.abs(self.gradient)))

    def toward(self, length: float) -> list[float]:
        return [float(v) for v in np.asarray(self.weights) - length * np.asarray(self.step)]


def newton_step(weights: Sequence[float], parts: Sequence[dict[str, Any]]) -> NewtonStep:
    """The central objective's Newton step from the sites' sums at ``weights``: the same log
    loss and the same L2 penalty (intercept unpenalised) as the central fit."""
    w = np.asarray(weights, dtype=float)
    penalty = np.full(len(w), L2)
    penalty[-1] = 0.0
    gradient = np.sum([p["gradient"] for p in parts], axis=0) + penalty * w
    hessian = np.sum([p["hessian"] for p in parts], axis=0) + np.diag(penalty)
    objective = sum(float(p["loss"]) for p in parts) + 0.5 * float(penalty @ w**2)
    try:
        step = np.linalg.solve(hessian, gradient)
    except np.linalg.LinAlgError:  # a feature constant over the network (unpenalised)
        step = np.linalg.lstsq(hessian, gradient, rcond=None)[0]
    return NewtonStep([float(v) for v in w], [float(v) for v in step],
                      [float(v) for v in gradient], objective)  # fmt: skip


@dataclass
class Search:
    """The hub's Newton search between rounds: what to propose, what to accept, when to stop."""

    tolerance: float
    current: NewtonStep | None = None
    lengths: tuple[float, ...] = LENGTHS
    sites: frozenset[str] = field(default_factory=frozenset)

    def candidates(self, starts: Sequence[Sequence[float]]) -> list[list[float]]:
        """The weights to ask the sites about: the starting points first, then the current
        weights moved by each step length."""
        if self.current is None:
            unique = {tuple(float(v) for v in w): None for w in starts}
            return [list(w) for w in unique][:MAX_CANDIDATES]
        reach = min(1.0, REACH / max(self.current.size, 1e-300))
        return [self.current.toward(t * reach) for t in self.lengths]

    def update(self, steps: Sequence[NewtonStep | None], sites: frozenset[str]) -> int | None:
        """Accept the first candidate that lowers the objective enough (Armijo), or the lowest
        when starting (or when the answering sites changed: a new objective); ``None`` when no
        length lowered it (the next round proposes shorter ones). A candidate some site withheld
        its sums for (``None``) is never accepted."""
        usable = [i for i, step in enumerate(steps) if step is not None]
        if self.current is None or sites != self.sites:
            if not usable:
                self.lengths = tuple(t / 16 for t in self.lengths)
                return None
            best = min(usable, key=lambda i: steps[i].objective)  # type: ignore[union-attr]
            self.current, self.sites, self.lengths = steps[best], sites, LENGTHS
            return best
        current = self.current
        gain = float(np.dot(current.gradient, current.step))  # predicted, for a full step
        slack = 1e-12 * max(abs(current.objective), 1.0)  # the sums' rounding
        reach = min(1.0, REACH / max(current.size, 1e-300))
        for i, (length, step) in enumerate(zip(self.lengths, steps, strict=True)):
            if step is None:
                continue
            if step.objective <= current.objective - ARMIJO * length * reach * gain + slack:
                self.current, self.lengths = step, LENGTHS
                return i
        self.lengths = tuple(t / 16 for t in self.lengths)
        return None

    @property
    def converged(self) -> bool:
        return self.current is not None and self.current.size <= self.tolerance

    def certificate(self, rounds: int) -> dict[str, Any]:
        """What the model's lineage records: rounds, convergence, the gradient at the weights."""
        assert self.current is not None
        return {"method": "federated Newton on the central objective", "rounds": rounds,
                "converged": self.converged, "tolerance": self.tolerance,
                "step": self.current.size, "gradient_norm": self.current.gradient_norm,
                "objective": self.current.objective}  # fmt: skip
