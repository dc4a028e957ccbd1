"""The committee: members, declared conflicts of interest, scored reviews, recommendation.

The published criteria and the rule turning reviews into a recommendation are
configuration (``criteria.toml``). Pure functions here; storage is in
:mod:`socle.governance.service`.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from socle.governance.errors import ReviewError
from socle.governance.model import Outcome


@dataclass(frozen=True)
class Criterion:
    code: str
    title: str
    question: str
    weight: float


@dataclass(frozen=True)
class Criteria:
    """The published criteria, the scoring scale and the decision rule."""

    criteria: dict[str, Criterion]
    scale_min: int
    scale_max: int
    min_reviews: int
    approve_at: float
    reject_below: float
    floor: float

    def check_scores(self, request_id: str, scores: dict[str, int]) -> None:
        """Every published criterion scored once, on the scale; nothing else."""
        missing = sorted(set(self.criteria) - set(scores))
        unknown = sorted(set(scores) - set(self.criteria))
        if missing or unknown:
            raise ReviewError(
                f"review of {request_id}: score every published criterion"
                + (f"; missing {', '.join(missing)}" if missing else "")
                + (f"; unknown {', '.join(unknown)}" if unknown else "")
            )
        off = sorted(
            k
            for k, v in scores.items()
            if not isinstance(v, int) or not self.scale_min <= v <= self.scale_max
        )
        if off:
            raise ReviewError(
                f"review of {request_id}: scores must be whole numbers from {self.scale_min} "
                f"to {self.scale_max}; check {', '.join(off)}"
            )


@dataclass(frozen=True)
class Member:
    id: str
    name: str
    expertise: str
    active: bool


@dataclass(frozen=True)
class Review:
    request_id: str
    member_id: str
    round: int
    scores: dict[str, int]
    comments: dict[str, str]
    summary: str
    submitted_at: str


@dataclass(frozen=True)
class Recommendation:
    """What the scored reviews of the current round recommend."""

    outcome: Outcome | None  # None: not enough reviews yet
    reviews: int
    weighted_mean: float | None
    criterion_means: dict[str, float]
    reason: str


def load_criteria(path: Path | None = None) -> Criteria:
    """Read the criteria from ``path`` or the packaged default."""
    text = (
        path.read_text()
        if path
        else resources.files("socle.governance").joinpath("criteria.toml").read_text()
    )
    data = tomllib.loads(text)
    criteria = {
        code: Criterion(code, str(c["title"]), str(c["question"]), float(c.get("weight", 1)))
        for code, c in data["criteria"].items()
    }
    scale, rule = data["scale"], data["decision"]
    if not criteria or any(c.weight <= 0 for c in criteria.values()):
        raise ReviewError("criteria.toml must publish at least one criterion, each weight > 0")
    if int(scale["min"]) >= int(scale["max"]):
        raise ReviewError("criteria.toml: scale.min must be below scale.max")
    return Criteria(
        criteria, int(scale["min"]), int(scale["max"]), int(rule["min_reviews"]),
        float(rule["approve_at"]), float(rule["reject_below"]), float(rule["floor"]),
    )  # fmt: skip


def recommend(criteria: Criteria, reviews: Sequence[Review]) -> Recommendation:
    """Turn one round of reviews into a recommendation, with its reason."""
    if len(reviews) < criteria.min_reviews:
        return Recommendation(
            None, len(reviews), None, {},
            f"{len(reviews)} of the {criteria.min_reviews} required reviews",
        )  # fmt: skip
    means = {
        code: sum(r.scores[code] for r in reviews) / len(reviews) for code in criteria.criteria
    }
    total = sum(c.weight for c in criteria.criteria.values())
    mean = sum(means[c] * crit.weight for c, crit in criteria.criteria.items()) / total
    weak = sorted(c for c, m in means.items() if m < criteria.floor)
    outcome: Outcome
    if mean < criteria.reject_below:
        outcome, reason = "rejected", f"weighted mean {mean:.2f} < {criteria.reject_below}"
    elif mean >= criteria.approve_at and not weak:
        outcome, reason = "approved", f"weighted mean {mean:.2f} >= {criteria.approve_at}"
    else:
        outcome = "changes_requested"
        reason = f"weighted mean {mean:.2f}" + (
            f"; below {criteria.floor} on {', '.join(weak)}" if weak else ""
        )
    return Recommendation(outcome, len(reviews), round(mean, 3), means, reason)
