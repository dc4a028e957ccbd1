"""Monitoring of models in care: input and prediction drift, overrides, calibration in practice.

Computed by Socle over the stored predictions (Evidently-style figures):
population stability index and Kolmogorov-Smirnov distance per input against
the model's training profile, the same on the scores, override rates per
model, clinician and reason, and observed/expected events on predictions whose
outcome was linked. Thresholds come from ``policy.toml``; every crossing is an
:class:`Alert` for the college (raised once while it stays open, audited).
"""

from __future__ import annotations

import tomllib
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Column, Engine, Float, Select, String, Table, Text, select

from socle.ai import ModelRegistry, auroc, bin_shares
from socle.audit import AuditLog
from socle.guarantee.service import TABLES, outcome, prediction
from socle.store import Page, Timestamp, fetch_page

EPS = 1e-3
alert_table = Table(
    "guarantee_alert",
    TABLES,
    Column("id", String(40), primary_key=True),
    Column("model_id", String(40), nullable=False, index=True),
    Column("kind", String(40), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("value", Float, nullable=False),
    Column("threshold", Float, nullable=False),
    Column("message", Text, nullable=False),
    Column("status", String(20), nullable=False),
    Column("raised_at", Timestamp("seconds"), nullable=False),
)


def load_monitoring_policy(path: Path | None = None) -> dict[str, dict[str, float]]:
    file = path or Path(__file__).with_name("policy.toml")
    policy: dict[str, dict[str, float]] = tomllib.loads(file.read_text())
    return policy


def psi(reference: np.ndarray, current: np.ndarray, n: int) -> float:
    """Population stability index between two share vectors over the same bins.

    The current shares come from ``n`` predictions; half a prediction is added to
    each bin (Laplace smoothing) so that an empty bin in a small window does not
    read as drift.
    """
    k = len(current)
    c = (current * n + 0.5) / (n + 0.5 * k)
    r = np.clip(reference, EPS, None)
    return float(np.sum((c - r) * np.log(c / r)))


def ks(reference: np.ndarray, current: np.ndarray) -> float:
    """Largest distance between the two cumulative distributions at the bin edges."""
    return float(np.max(np.abs(np.cumsum(reference) - np.cumsum(current))))


@dataclass(frozen=True)
class Alert:
    id: str
    model_id: str
    kind: str  # input_drift, prediction_drift, override_rate, calibration
    subject: str  # the feature, clinician or "model"
    value: float
    threshold: float
    message: str
    status: str
    raised_at: str


@dataclass
class MonitoringReport:
    model_id: str
    predictions: int
    decided: int
    input_drift: dict[str, dict[str, float]] = field(default_factory=dict)
    prediction_drift: dict[str, float] | None = None
    overrides: dict[str, Any] = field(default_factory=dict)
    calibration: dict[str, float | int] | None = None
    alerts: list[Alert] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class Monitoring:
    def __init__(
        self, engine: Engine, audit: AuditLog, models: ModelRegistry,
        policy: dict[str, dict[str, float]] | None = None,
    ) -> None:  # fmt: skip
        self.engine, self.audit, self.models = engine, audit, models
        self.policy = policy or load_monitoring_policy()

    def report(
        self, model_id: str, *, actor: str, role: str, since: str | None = None
    ) -> MonitoringReport:
        """Compute every figure for one model (predictions made ``since`` an ISO time, or all)
        and raise the alerts its policy calls for."""
        self.models.info(model_id)  # an unknown model is a clear error
        query = select(
            prediction.c.inputs, prediction.c.score, prediction.c.status,
            prediction.c.decided_by, prediction.c.reason_code,
        ).where(prediction.c.model_id == model_id)  # fmt: skip
        if since is not None:
            query = query.where(prediction.c.created_at >= since)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        decided = [r for r in rows if r.status != "pending"]
        report = MonitoringReport(model_id, len(rows), len(decided))
        self._drift(model_id, rows, report)
        self._overrides(decided, report)
        self._calibration(model_id, report)
        report.alerts = self._raise(model_id, report, actor=actor, role=role)
        return report

    def _drift(self, model_id: str, rows: Sequence[Any], report: MonitoringReport) -> None:
        reference = self.models.reference(model_id)
        if reference is None:
            report.notes.append("no training profile kept with this model: drift not measured")
            return
        if len(rows) < self.policy["drift"]["min_predictions"]:
            report.notes.append(
                f"drift needs at least {self.policy['drift']['min_predictions']:.0f} predictions"
            )
            return
        features = list(reference["features"])
        X = np.array([[np.nan if (v := r.inputs.get(f)) is None else v for f in features]
                      for r in rows], dtype=float)  # fmt: skip
        for i, name in enumerate(features):
            present = int((~np.isnan(X[:, i])).sum())
            if present < self.policy["drift"]["min_values"]:
                report.notes.append(f"input '{name}': {present} values present, too few to judge")
                continue
            ref = reference["features"][name]
            current = bin_shares(ref["edges"], X[:, i])
            shares = np.asarray(ref["shares"])
            report.input_drift[name] = {
                "psi": round(psi(shares, current, present), 4),
                "ks": round(ks(shares, current), 4),
                "missing": round(float(np.isnan(X[:, i]).mean()), 4),
            }  # fmt: skip
        scores = np.array([r.score for r in rows], dtype=float)
        ref = reference["score"]
        current = bin_shares(ref["edges"], scores)
        report.prediction_drift = {
            "psi": round(psi(np.asarray(ref["shares"]), current, len(scores)), 4),
            "ks": round(ks(np.asarray(ref["shares"]), current), 4),
            "mean_score": round(float(scores.mean()), 4),
            "reference_mean_score": float(reference["mean_score"]),
        }  # fmt: skip

    def _overrides(self, decided: list[Any], report: MonitoringReport) -> None:
        minimum = self.policy["overrides"]["min_decisions"]

        def rate(group: list[Any]) -> float | None:
            if len(group) < minimum:
                return None
            return round(float(sum(r.status != "accepted" for r in group)) / len(group), 3)

        by_clinician: dict[str, list[Any]] = {}
        for r in decided:
            by_clinician.setdefault(r.decided_by or "", []).append(r)
        reasons = Counter(r.reason_code or "other" for r in decided if r.status != "accepted")
        report.overrides = {
            "model": rate(decided),
            "by_clinician": {c: rate(g) for c, g in sorted(by_clinician.items())},
            "by_reason": dict(reasons.most_common()) if len(decided) >= minimum else {},
            "min_decisions": minimum,
        }

    def _calibration(self, model_id: str, report: MonitoringReport) -> None:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(prediction.c.score, outcome.c.occurred)
                .join(outcome, outcome.c.prediction_id == prediction.c.id)
                .where(prediction.c.model_id == model_id)
            ).all()  # fmt: skip
        if len(rows) < self.policy["calibration"]["min_outcomes"]:
            report.notes.append(
                f"calibration in practice needs {self.policy['calibration']['min_outcomes']:.0f} "
                f"linked outcomes ({len(rows)} so far)"
            )
            return
        p = np.array([r.score for r in rows])
        y = np.array([bool(r.occurred) for r in rows], dtype=float)

        report.calibration = {
            "outcomes": len(rows), "observed": round(float(y.mean()), 4),
            "expected": round(float(p.mean()), 4),
            "observed_over_expected": round(float(y.sum() / max(p.sum(), EPS)), 3),
            "auroc": round(a, 3) if (a := auroc(y, p)) is not None else float("nan"),
        }  # fmt: skip

    def _crossings(self, report: MonitoringReport) -> list[tuple[str, str, float, float, str]]:
        d, o, c = self.policy["drift"], self.policy["overrides"], self.policy["calibration"]
        found = []
        for name, figures in report.input_drift.items():
            if figures["psi"] >= d["psi_alert"] or figures["ks"] >= d["ks_alert"]:
                found.append(("input_drift", name, figures["psi"], d["psi_alert"],
                              f"input '{name}' drifted: PSI {figures['psi']:.2f}, KS {figures['ks']:.2f}"))  # fmt: skip
        pd_ = report.prediction_drift
        if pd_ and (pd_["psi"] >= d["psi_alert"] or pd_["ks"] >= d["ks_alert"]):
            found.append(("prediction_drift", "model", pd_["psi"], d["psi_alert"],
                          f"scores drifted: PSI {pd_['psi']:.2f}, mean {pd_['mean_score']:.2f} "
                          f"vs {pd_['reference_mean_score']:.2f} in training"))  # fmt: skip
        rates = {"model": report.overrides.get("model"), **report.overrides.get("by_clinician", {})}
        for who, value in rates.items():
            if value is not None and value >= o["rate_alert"]:
                found.append(("override_rate", who, value, o["rate_alert"],
                              f"override rate of {who}: {value:.0%}"))  # fmt: skip
        cal = report.calibration
        if cal and not c["oe_low"] <= float(cal["observed_over_expected"]) <= c["oe_high"]:
            found.append(("calibration", "model", float(cal["observed_over_expected"]),
                          c["oe_high"], f"observed/expected events {cal['observed_over_expected']}"))  # fmt: skip
        return found

    def _raise(
        self, model_id: str, report: MonitoringReport, *, actor: str, role: str
    ) -> list[Alert]:
        open_ = {(a.kind, a.subject): a for a in self.alerts(model_id, status="open")}
        raised = []
        now = datetime.now(UTC).isoformat(timespec="seconds")
        with self.engine.begin() as conn:
            for kind, subject, value, threshold, message in self._crossings(report):
                if (kind, subject) in open_:
                    raised.append(open_[(kind, subject)])
                    continue
                alert = Alert("alert-" + uuid.uuid4().hex[:8], model_id, kind, subject,
                              float(value), float(threshold), message, "open", now)  # fmt: skip
                conn.execute(alert_table.insert().values(**asdict(alert)))
                self.audit.append(
                    conn, actor=actor, role=role, action="guarantee.alert", object=alert.id,
                    details={"model": model_id, "kind": kind, "value": round(float(value), 4)},
                )  # fmt: skip
                raised.append(alert)
        return raised

    def alerts(self, model_id: str | None = None, *, status: str | None = None) -> list[Alert]:
        with self.engine.connect() as conn:
            return [Alert(**r._mapping) for r in conn.execute(_alerts(model_id, status)).all()]

    def alerts_page(self, *, status: str | None, limit: int, offset: int) -> Page[Alert]:
        """One page of the alerts (oldest first) in ``status`` (``None``: any), and the total."""
        with self.engine.connect() as conn:
            return fetch_page(
                conn, _alerts(None, status), limit, offset, lambda r: Alert(**r._mapping)
            )

    def close_alerts(self, model_id: str, conn: Any) -> int:
        """Close a model's open alerts (inside the college decision's transaction)."""
        result = conn.execute(
            alert_table.update().where(alert_table.c.model_id == model_id)
            .where(alert_table.c.status == "open").values(status="closed")
        )  # fmt: skip
        return int(result.rowcount or 0)


def _alerts(model_id: str | None, status: str | None) -> Select[Any]:
    query = select(alert_table).order_by(alert_table.c.raised_at, alert_table.c.id)
    if model_id is not None:
        query = query.where(alert_table.c.model_id == model_id)
    if status is not None:
        query = query.where(alert_table.c.status == status)
    return query
