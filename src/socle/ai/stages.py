"""The stages of a registered model and who may move it between them.

development → validated (the committee, after reading the evaluation; never
the person who trained it) → deployed (the human-guarantee college) →
suspended (the college; reinstated only by the college) → retired (committee or
college). Only a *deployed* model predicts in care.
"""

from __future__ import annotations

from typing import Literal

from socle.ai.training import ModelError

Stage = Literal["development", "validated", "deployed", "suspended", "retired"]
STAGES: tuple[Stage, ...] = ("development", "validated", "deployed", "suspended", "retired")
COMMITTEE, COLLEGE = "committee_member", "college_member"

TRANSITIONS: dict[tuple[str, str], frozenset[str]] = {
    ("development", "validated"): frozenset({COMMITTEE}),
    ("validated", "deployed"): frozenset({COLLEGE}),
    ("deployed", "suspended"): frozenset({COLLEGE}),
    ("validated", "suspended"): frozenset({COLLEGE}),
    ("suspended", "deployed"): frozenset({COLLEGE}),
    **{(s, "retired"): frozenset({COMMITTEE, COLLEGE})
       for s in ("development", "validated", "deployed", "suspended")},
}  # fmt: skip


class StageError(ModelError):
    """A stage change that the lifecycle or the actor's role does not allow."""

    exit_code = 4


class ModelSuspendedError(ModelError):
    """The model may not predict: it is not deployed (the message says why and since when)."""

    exit_code = 4


def check_transition(model_id: str, current: str, target: str, role: str) -> None:
    if target not in STAGES:
        raise StageError(f"model {model_id}: unknown stage '{target}'; stages: {', '.join(STAGES)}")
    allowed = TRANSITIONS.get((current, target))
    if allowed is None:
        raise StageError(f"model {model_id} is {current}: it cannot move to {target}")
    if role not in allowed:
        raise StageError(
            f"model {model_id}: moving from {current} to {target} is a decision of "
            f"{' or '.join(sorted(allowed))}, not {role}"
        )
