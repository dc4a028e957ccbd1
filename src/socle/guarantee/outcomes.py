"""Outcomes linked from later loads: what happened to the patients a model scored in care.

A prediction holds a pseudonym token, never a person id. After a load, the
:class:`OutcomeLinker` takes every prediction still without an outcome, asks
the warehouse — through the checkpoint, for the purpose *quality and
performance of care*, so a patient who objected to it is never linked — whether
the model's definition's outcome occurred within its time at risk after the
prediction's day (:func:`socle.ai.outcome_sql`), and records each answer with
the system as actor (one audit event per outcome). Person ids never leave the
warehouse: the query returns the prediction id, the status and a number of days.

The warehouse's dates are shifted per person (``socle.privacy.DateShift``), so
each prediction's day is moved by its person's offset before the query; the
composition root (``socle.node``) supplies that offset from the token. Linking is
idempotent: a prediction with an outcome is never asked again.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from socle.ai import OUTCOME_COLUMNS, ModelRegistry, definition, outcome_sql
from socle.consent import ConsentRegistry
from socle.guarantee.service import HumanGuarantee
from socle.roles import Role
from socle.warehouse import GrantScope, Warehouse

OUTCOME_PURPOSE = "care_quality"  # the consent purpose under which outcomes are read
SYSTEM_ACTOR = "socle"
DateOffset = Callable[[str], int | None]
"""Days a person's warehouse dates are moved back, from their pseudonym token (None: unknown)."""


@dataclass(frozen=True)
class OutcomeLinks:
    """What one linking run found, in counts (it is audited as such)."""

    examined: int = 0
    occurred: int = 0
    not_occurred: int = 0
    awaiting: int = 0  # follow-up does not cover the time at risk yet
    prior: int = 0  # the outcome predates the prediction: outside the target population
    unmatched: int = 0  # no such person in the warehouse, or their choices exclude the purpose

    @property
    def recorded(self) -> int:
        return self.occurred + self.not_occurred


class OutcomeLinker:
    def __init__(
        self, guarantee: HumanGuarantee, models: ModelRegistry, warehouse: Warehouse,
        consent: ConsentRegistry, date_offset: DateOffset, *, purpose: str = OUTCOME_PURPOSE,
    ) -> None:  # fmt: skip
        self.guarantee, self.models, self.warehouse = guarantee, models, warehouse
        self.consent, self.date_offset, self.purpose = consent, date_offset, purpose

    def link(self, *, trigger: str = "manual", on: date | None = None) -> OutcomeLinks:
        """Answer every prediction without an outcome that the warehouse now can; record them.

        ``trigger`` names what ran it (a load id) in the audit event. Nothing is
        read or written when no prediction awaits an outcome.
        """
        waiting = self.guarantee.awaiting_outcome()
        if not waiting:
            return OutcomeLinks()
        today = on or datetime.now(UTC).date()
        by_model: dict[str, list[tuple[str, str, date]]] = defaultdict(list)
        index = {pid: day for pid, _, _, day in waiting}  # the prediction's own (real) day
        unknown = 0
        offsets: dict[str, int | None] = {}  # one vault read per person, not per prediction
        for pid, model_id, token, day in waiting:
            if token not in offsets:
                offsets[token] = self.date_offset(token)
            offset = offsets[token]
            if offset is None:
                unknown += 1
                continue
            by_model[model_id].append((pid, token, day - timedelta(days=offset)))
        counts = dict.fromkeys(("occurred", "not_occurred", "awaiting", "prior"), 0)
        recorded = 0
        persons = self.consent.person_filter(self.purpose, today)
        for model_id, asked in by_model.items():
            task = definition(self.models.info(model_id).definition_id)
            scope = GrantScope(f"outcomes:{model_id}", self.purpose, OUTCOME_COLUMNS)
            with self.warehouse.scoped(scope, persons) as reader:
                answers = reader.query(outcome_sql(task), [
                    [p for p, _, _ in asked], [t for _, t, _ in asked], [d for _, _, d in asked],
                ]).to_pylist()  # fmt: skip
            found = []
            for a in answers:
                counts[a["status"]] += 1
                if a["status"] in ("occurred", "not_occurred"):
                    found.append((a["prediction_id"], a["status"] == "occurred",
                                  index[a["prediction_id"]] + timedelta(days=int(a["days"]))))  # fmt: skip
            unknown += len(asked) - len(answers)
            recorded += self.guarantee.record_outcomes(
                found, actor=SYSTEM_ACTOR, role=Role.SYSTEM, source=f"warehouse: {task.id}"
            )
        links = OutcomeLinks(len(waiting), unmatched=unknown, **counts)
        self.guarantee.audit.record(
            actor=SYSTEM_ACTOR, role=Role.SYSTEM, action="guarantee.link_outcomes",
            object=trigger, purpose=self.purpose,
            details={"examined": links.examined, "recorded": recorded, **counts,
                     "unmatched": unknown},
        )  # fmt: skip
        return links
