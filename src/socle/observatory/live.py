"""Live evidence: models trained through this node appear as entries with monitoring figures.

Reads only the public APIs of ``ai`` (the registry: evaluation and notice), ``governance``
(which catalogue dataset a grant opened) and ``guarantee`` (predictions and clinicians'
decisions per model; open drift alerts of its monitoring; whether the college suspended
the model). Figures are snapshotted with their time, so a past ranking uses the figures
known then. A figure not measured (college decisions; drift when no monitoring is wired,
or over fewer predictions than the threshold) is recorded as unknown, never as zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, func, select

from socle.ai import ModelRegistry, RegisteredModel
from socle.audit import AuditLog
from socle.governance import Governance, GovernanceError
from socle.guarantee import HumanGuarantee, Monitoring
from socle.observatory.model import (
    DeviceStatus,
    HumanGuaranteePlan,
    LiveFigures,
    Study,
    ToolData,
    TrainingData,
)
from socle.observatory.registry import BatchResult, Registry
from socle.observatory.tables import entry, live_snapshot
from socle.privacy import check_aggregate
from socle.roles import Role

SYSTEM = "socle-observatory"


def model_ref(model_id: str) -> str:
    return f"socle:{model_id}"


def model_entry(model: RegisteredModel, datasets: Sequence[str], publisher: str) -> ToolData:
    """The observatory entry of a model trained here: its model card as evidence."""
    m = model.metrics
    metrics = {k: float(m[k]) for k in ("auroc", "cv_auroc", "brier") if m.get(k) is not None}
    study = Study(
        title=f"Held-out evaluation of {model.id} (persons never seen in training)",
        year=int(model.created_at[:4]), design="internal_validation",
        sample_size=int(m["test_persons"]) if m.get("test_persons") else None, metrics=metrics,
        external_validation=False, reference=f"model card {model.id}",
    )  # fmt: skip
    return ToolData(
        name=f"Risk of {model.name}", maker=publisher, version=model.id, category="prediction",
        speciality="primary_care",
        intended_use="Decision support: estimates the risk of a first record of essential "
        "hypertension within five years for an adult without that diagnosis.",
        population=f"Adults under observation, consenting to purpose '{model.purpose}'; "
        + (f"about {m['train_persons']} training persons." if m.get("train_persons")
           else "training persons below the small-cell threshold."),
        setting="Primary care, under human guarantee",
        training_data=TrainingData(
            description=f"Trained under grant {model.grant_id} on consenting patients only.",
            catalogue_datasets=tuple(datasets), grant=model.grant_id,
        ),
        evidence=(study,),
        human_guarantee=HumanGuaranteePlan(
            arrangement="enforced",
            description="Every prediction stays pending until a clinician accepts, amends "
            "or rejects it with a reason; override rates are reported to the college.",
        ),
        device=DeviceStatus(regulatory_status="research_use"),
        socle_model=model.id,
    )  # fmt: skip


class LiveEvidence:
    def __init__(
        self, engine: Engine, audit: AuditLog, registry: Registry, models: ModelRegistry,
        governance: Governance, guarantee: HumanGuarantee, publisher: str,
        threshold: int = 10, rounding_base: int = 5, monitoring: Monitoring | None = None,
    ) -> None:  # fmt: skip
        self.threshold, self.rounding_base = threshold, rounding_base
        self.monitoring = monitoring
        self.engine, self.audit, self.registry = engine, audit, registry
        self.models, self.governance, self.guarantee = models, governance, guarantee
        self.publisher = publisher

    def sync_models(self, *, actor: str = SYSTEM) -> BatchResult:
        """Submit an entry for every model of the registry (new ones; changed cards revise)."""
        items = []
        for model in self.models.registered():
            items.append((model_ref(model.id), model_entry(model, self._datasets(model),
                                                           self.publisher)))  # fmt: skip
        return self.registry.submit_batch(
            items, actor=actor, role=Role.SYSTEM, source="socle_model"
        )

    def refresh(self, *, actor: str = SYSTEM) -> dict[str, LiveFigures]:
        """Snapshot the live figures of every model entry (only those that changed)."""
        taken = datetime.now(UTC).isoformat(timespec="seconds")
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(entry.c.id, entry.c.external_ref).where(entry.c.source == "socle_model")
            ).all()
        latest = self.figures([r.id for r in rows])
        fresh: dict[str, LiveFigures] = {}
        for r in rows:
            model_id = str(r.external_ref).removeprefix("socle:")
            usage = self.guarantee.usage(model_id)
            figures = checked_figures(
                taken, usage.predictions, usage.decided, usage.pending,
                usage.amended + usage.rejected, self.threshold, self.rounding_base,
                drift_alerts=self._drift_alerts(model_id),
                suspended=self.models.info(model_id).stage == "suspended",
            )  # fmt: skip
            before = latest.get(r.id)
            if before is None or _counts(before) != _counts(figures):
                fresh[r.id] = figures
        if fresh:
            with self.engine.begin() as conn:
                conn.execute(live_snapshot.insert(), [
                    {"entry_id": i, "taken_at": taken, "figures": f.model_dump(mode="json")}
                    for i, f in fresh.items()
                ])  # fmt: skip
                self.audit.append(
                    conn, actor=actor, role=Role.SYSTEM, action="observatory.live_refresh",
                    object="live figures", details={"entries": sorted(fresh)},
                )  # fmt: skip
        return fresh

    def figures(
        self, entry_ids: Sequence[str] | None = None, as_of: str | None = None
    ) -> dict[str, LiveFigures]:
        """The latest snapshot of each entry (taken at or before ``as_of``)."""
        s = live_snapshot
        latest = select(func.max(s.c.id).label("id")).group_by(s.c.entry_id)
        if as_of:
            latest = latest.where(s.c.taken_at <= as_of)
        if entry_ids is not None:
            latest = latest.where(s.c.entry_id.in_(list(entry_ids)))
        with self.engine.connect() as conn:
            rows = conn.execute(select(s).where(s.c.id.in_(latest.scalar_subquery()))).all()
        return {r.entry_id: LiveFigures.model_validate(r.figures) for r in rows}

    def history(self, entry_id: str) -> list[LiveFigures]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(live_snapshot.c.figures).where(live_snapshot.c.entry_id == entry_id)
                .order_by(live_snapshot.c.id)
            ).scalars().all()  # fmt: skip
        return [LiveFigures.model_validate(f) for f in rows]

    def _drift_alerts(self, model_id: str) -> int | None:
        """How many drift alerts (inputs or scores) of the model are open: a count only, never
        the feature, the value or the message; unknown without a monitoring service."""
        if self.monitoring is None:
            return None
        open_ = self.monitoring.alerts(model_id, status="open")
        return sum(a.kind in DRIFT_KINDS for a in open_)

    def _datasets(self, model: RegisteredModel) -> list[str]:
        try:
            request, _ = self.governance.request(self.governance.grant(model.grant_id).request_id)
        except GovernanceError:
            return []
        return [request.dataset_id]


RATE_MIN_DECISIONS = 20  # below this, no override rate is published
DRIFT_KINDS = ("input_drift", "prediction_drift")


def checked_figures(
    taken: str, predictions: int, decided: int, pending: int, overridden: int,
    threshold: int, rounding_base: int, *, drift_alerts: int | None = None,
    suspended: bool | None = None,
) -> LiveFigures:  # fmt: skip
    """The figures as they may be published: small counts hidden, others rounded.

    Drift alerts are published only for a model with at least ``threshold``
    predictions (a drift figure describes the inputs of the patients scored), as a
    count of alerts; below it they are unknown.
    """
    names = ("predictions", "decided", "pending", "overridden")
    table = check_aggregate(names, [(predictions, decided, pending, overridden)], names,
                            threshold, rounding_base)  # fmt: skip
    rate = None
    if decided >= max(threshold, RATE_MIN_DECISIONS):
        rate = round(round(overridden / decided / 0.05) * 0.05, 2)
    p, d, w, o = table.rows[0]
    drift = drift_alerts if predictions >= threshold else None
    return LiveFigures(taken_at=taken, predictions=p, decided=d, pending=w, overridden=o,
                       override_rate=rate, threshold=threshold, drift_alerts=drift,
                       suspended=suspended)  # fmt: skip


def _counts(f: LiveFigures) -> dict[str, Any]:
    return f.model_dump(exclude={"taken_at"})
