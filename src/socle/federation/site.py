"""A site's side of the federation: answers the hub's messages on its own Socle node.

Every answer goes through the node's public services only — the study's
acceptance (:mod:`socle.federation.studies`), the workspace checkpoint (the
site's grant + the consent filter for the purposes the use needs) and the
release desk's automatic checks — and is audited at the site with the hub's
study id. What leaves: checked count tables (small cells as ``None``,
"suppressed"), summed feature statistics and model weights from at least the
training minimums, and model metrics only when the desk's checks pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from socle.ai import (
    TooFewForTrainingError,
    TrainingSet,
    build_training_set,
    training_set_sha256,
)
from socle.errors import SocleError
from socle.federation import learning, mlp, newton
from socle.federation.studies import FEDERATION_ACTOR, Acceptances
from socle.node import Node
from socle.privacy import disclose_count
from socle.release import DeskError, MetricRow, ModelMetrics, Output, Population

DIMS = ("age_band", "sex")
_TRAINING_SETS: dict[tuple[Any, ...], TrainingSet] = {}  # in the SuperNode's process


@dataclass
class Site:
    """One site's node, answering as the federation's service account."""

    node: Node
    name: str

    @property
    def acceptances(self) -> Acceptances:
        return Acceptances(self.node.engine, self.node.governance, self.node.audit)

    def answer(self, study_id: str, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Answer one message; a refusal (not accepted, withdrawn, too few) is an answer too."""
        handlers = {"count": self._count, "dp_count": self._dp_count, "stats": self._stats,
                    "secure_count": self._secure_count,
                    "train": self._train, "evaluate": self._evaluate,
                    "newton": self._newton}  # fmt: skip
        if kind not in handlers:
            return self._audited(
                study_id, kind, {"status": "refused", "reason": f"unknown request '{kind[:20]}'"}
            )
        try:
            grant = self.acceptances.grant_for(study_id)
            reply = {"status": "ok", "grant": grant,
                     **handlers[kind](grant, {**payload, "study": study_id})}  # fmt: skip
        except SocleError as exc:
            reply = {"status": "refused", "reason": exc.message}
        return self._audited(study_id, kind, reply, payload.get("round"))

    def _audited(
        self, study_id: str, kind: str, reply: dict[str, Any], round_: object = None
    ) -> dict[str, Any]:
        reply["site"] = self.name
        self.node.audit.record(
            actor=FEDERATION_ACTOR, role="federation", action="federation.answer", object=study_id,
            outcome="ok" if reply["status"] == "ok" else "refused",
            details={"kind": kind, "round": round_, "status": reply["status"],
                     "reason": reply.get("reason", ""), "grant": reply.get("grant")},
        )  # fmt: skip
        return reply

    # -- counts -------------------------------------------------------------------------

    def _count(self, grant: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Persons with a condition by age band and sex, as the desk's automatic checks leave it.

        The answer is an automatic release of the site's desk: checked against the site's
        disclosure ledger (earlier federated answers and local releases alike) and recorded in
        it, so a later count on a slightly different population is caught as differencing.
        """
        condition = _condition(payload)
        study, round_ = payload.get("study", ""), payload.get("round")
        try:
            report = self.node.workspace.answer_condition_counts(
                grant, condition, DIMS, actor=FEDERATION_ACTOR, channel="federation",
                reference=f"{study} round {round_}",
            )  # fmt: skip
        except DeskError as exc:
            raise _Refused(f"the site's release desk stops this table: {exc.message}") from exc
        return {"columns": list(report.columns), "rows": [list(r) for r in report.rows]}

    def _secure_count(self, grant: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Exact persons with a condition by age band and sex, for SecAgg+ only (the mask is
        added by Flower's ``secaggplus_mod`` before anything leaves; the hub sees the sum)."""
        from socle.federation.secure import SCALE

        columns, rows = self.node.workspace.secure_condition_counts(
            grant, _condition(payload), DIMS, actor=FEDERATION_ACTOR
        )
        if any(int(r[-1]) > SCALE for r in rows):  # type: ignore[call-overload]
            raise _Refused("a cell is too large for secure aggregation")
        return {"columns": columns, "cells": [int(r[-1]) for r in rows]}  # type: ignore[call-overload]

    def _dp_count(self, grant: str, payload: dict[str, Any]) -> dict[str, Any]:
        """A count with OpenDP noise added at the site, its ε charged to the site's own grant
        (the study's budget at this site); the exact count never leaves."""
        by = payload.get("by") or None
        if by not in (None, *DIMS):
            raise _Refused(f"a DP count is overall or by {' or '.join(DIMS)}")
        result = self.node.workspace.answer_dp_condition_count(
            grant, _condition(payload), float(payload["epsilon"]), by=by,
            actor=FEDERATION_ACTOR, channel="federation",
            reference=f"{payload.get('study', '')} round {payload.get('round')}",
        )  # fmt: skip
        return {"labels": list(result.labels), "values": list(result.values),
                "accuracy": list(result.accuracy), "epsilon": result.epsilon,
                "confidence": result.confidence}  # fmt: skip

    # -- learning -----------------------------------------------------------------------

    def _data(self, grant: str) -> TrainingSet:
        """The training set through the checkpoint, for federated training (AI-training consent).

        Every message opens the checkpoint (the grant re-checked, the consent filter read, the
        opening audited); the rows it reads are kept for the next message of the same training
        under a key naming all they depend on — the grant, the warehouse file's modification
        (a load or an attachment rewrites it), the consent registry's version, the day — so a
        recorded objection is a new key at once.
        """
        key = (str(self.node.settings.home), grant, _stamp(Path(self.node.warehouse.path)),
               self.node.consent.version(), datetime.now(UTC).date())  # fmt: skip
        with self.node.workspace.session(grant, "federated_training", actor=FEDERATION_ACTOR) as ws:
            data = _TRAINING_SETS.get(key) or build_training_set(ws)
        _TRAINING_SETS.clear()  # one training set kept: the latest
        _TRAINING_SETS[key] = data
        s = self.node.settings
        events = int(data.y.sum())
        if data.persons < s.min_training_persons or events < s.min_training_events:
            raise TooFewForTrainingError(
                f"not enough data at this site: training needs at least {s.min_training_persons} "
                f"persons and {s.min_training_events} events"
            )
        return data

    def _split(self, grant: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        data = self._data(grant)
        test = learning.held_out(data.groups)
        return data.X[~test], data.y[~test], data.X[test], data.y[test]

    def _stats(self, grant: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Summed feature statistics, and the hash of the training rows (the model's lineage:
        the site can later prove which snapshot of its data trained it; a hash reveals none)."""
        data = self._data(grant)
        train = ~learning.held_out(data.groups)
        X = data.X[train]
        digest = training_set_sha256(X, data.y[train], data.groups[train])
        return {"sums": learning.feature_sums(X), "rows": self._rows(len(X)),
                "training_set_sha256": digest}  # fmt: skip

    def _train(self, grant: str, payload: dict[str, Any]) -> dict[str, Any]:
        X, y, _, _ = self._split(grant)
        prep = learning.Preprocessing(tuple(payload["means"]), tuple(payload["stds"]))
        rows = self._rows(len(X))  # the weight the hub's FedAvg gives this update
        if payload.get("model") == "mlp":
            weights = mlp.local_steps(
                payload["weights"], prep.apply(X), y, steps=int(payload["steps"]),
                lr=float(payload["lr"]), mu=float(payload.get("mu", 0.0)),
                network_rows=int(payload["network_rows"]), site_rows=rows,
            )  # fmt: skip
        else:
            weights = learning.local_steps(
                payload["weights"], prep.apply(X), y, steps=int(payload["steps"]),
                lr=float(payload["lr"]), mu=float(payload.get("mu", 0.0)),
                network_rows=int(payload["network_rows"]),
            )  # fmt: skip
        if payload.get("dp"):  # client-side DP: only the clipped, noised update leaves
            dp = learning.ClientDP(**payload["dp"])
            weights = dp.privatise(weights, payload["weights"])
        return {"weights": weights, "rows": rows}

    def _newton(self, grant: str, payload: dict[str, Any]) -> dict[str, Any]:
        """A federated Newton round (:mod:`socle.federation.newton`): at each weight vector the
        hub proposes, the summed log loss, gradient and Hessian of the site's training rows
        (sums over them, like the statistics round) and the checked held-out evaluation.
        Withheld for weights that make those sums rest on fewer rows than the site's minimum
        number of events (weights chosen to single out a few persons); refused when that holds
        for every proposed vector."""
        X, y, X_test, y_test = self._split(grant)
        prep = learning.Preprocessing(tuple(payload["means"]), tuple(payload["stds"]))
        candidates = payload["candidates"][: newton.MAX_CANDIDATES]
        Z, Z_test = prep.apply(X), prep.apply(X_test)
        least = self.node.settings.min_training_events
        reason = (f"the proposed weights make the sums rest on fewer rows than this site's "
                  f"minimum of {least} events")  # fmt: skip
        answers: list[dict[str, Any]] = []
        for weights in candidates:
            sums = newton.site_sums(weights, Z, y)
            if sums.pop("spread") < least:
                answers.append({"withheld": reason})
                continue
            answers.append(
                {**sums, **self._checked_auroc(grant, y_test, learning.predict(weights, Z_test))}
            )
        if all("withheld" in a for a in answers):
            raise _Refused(reason)
        return {"at": answers, "rows": self._rows(len(X))}

    def _evaluate(self, grant: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Held-out AUROC of the global model, sent only if the desk's metric checks pass."""
        _, _, X, y = self._split(grant)
        prep = learning.Preprocessing(tuple(payload["means"]), tuple(payload["stds"]))
        family = mlp if payload.get("model") == "mlp" else learning
        return self._checked_auroc(grant, y, family.predict(payload["weights"], prep.apply(X)))

    def _checked_auroc(self, grant: str, y: np.ndarray, p: np.ndarray) -> dict[str, Any]:
        """Held-out AUROC of predictions ``p``, shown only if the desk's metric checks pass."""
        auroc = learning.auroc(y, p)
        persons, events = self._rows(len(y)), self._rows(int(y.sum()))
        metrics = ModelMetrics(
            "federated", (MetricRow("overall", len(y), int(y.sum()), {"auroc": auroc}),)
        )
        report = self.node.desk.check(Output(
            "federated_metrics", "model_metrics", metrics,
            Population(f"grant {grant}: held-out rows of the federated model", len(y)),
        ))  # fmt: skip
        blocking = [c.name for c in report.checks if c.status != "pass" and not c.mitigated]
        shown = None if blocking or np.isnan(auroc) else round(auroc, 3)
        return {"auroc": shown, "rows": persons, "events": events, "withheld_by": blocking}

    def _rows(self, n: int) -> int | None:
        policy = self.node.desk.policy
        return disclose_count(n, policy.safe_threshold, policy.safe_round_base)


def _condition(payload: dict[str, Any]) -> str | int:
    """A source code (``SNOMED|38341003``), or a standard concept counted with its descendants."""
    concept = int(payload.get("concept") or 0)
    return concept if concept else str(payload["condition"])


def _stamp(path: Path) -> tuple[int, int]:
    """When the warehouse file (and its write-ahead log) last changed."""
    stats = [p.stat() for p in (path, path.with_name(path.name + ".wal")) if p.exists()]
    return max((s.st_mtime_ns for s in stats), default=0), sum(s.st_size for s in stats)


class _Refused(SocleError):
    """The site's own checks stop an answer."""
