"""The hub's side: submit a study's run to the SuperLink, check and record what comes back.

The hub runs a federated request only for a study its committee approved
(:class:`~socle.federation.studies.Studies`). The combined count table goes
through the hub's own release checks before anyone sees it; a cell is
"suppressed" network-wide when any site suppressed it. A federated model is
registered in the hub's model registry (:mod:`socle.ai`) with its lineage: the study,
the hub's grant, each site and its own grant, the rounds and the bytes each moved, so
``socle audit trace MODEL`` walks from it to the hub committee's decision and the college
deploys or suspends it like any model. Every run is audited at the hub
with the study id.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import product
from pathlib import Path
from typing import Any

from sqlalchemy import select

from socle.federation import learning, mlp
from socle.federation import session as sessions
from socle.federation.errors import NetworkError, QuorumError
from socle.federation.network import APP_DIR, CONNECTION, Hub
from socle.federation.session import StudySession
from socle.federation.studies import Studies, Study
from socle.federation.tables import federated_model
from socle.node import Node
from socle.release import Output, Population, counts_table

SUPPRESSED = "suppressed"
DIMS = ("age_band", "sex")
TOTAL = "All"  # the label of the margins the release desk adds


@dataclass(frozen=True)
class NetworkCounts:
    """A federated count table after the hub's checks (``None`` = suppressed)."""

    study_id: str
    condition: str | int
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    sites: dict[str, list[list[Any]]]  # what each site released (None = suppressed there)
    rounds: list[dict[str, Any]]
    seconds: float
    received: list[list[int]] = field(default_factory=list)  # SecAgg+: the masked vectors


@dataclass(frozen=True)
class NetworkDPCount:
    """A count with noise added at each site (OpenDP): the sum of the sites' noisy counts, and
    an interval that holds the true total with at least the sites' confidence (their half-widths
    added: conservative)."""

    study_id: str
    condition: str | int
    labels: tuple[str, ...]
    values: tuple[float, ...]
    accuracy: tuple[float, ...]
    epsilon: dict[str, float]  # ε each site charged to its own grant
    seconds: float


@dataclass(frozen=True)
class FederatedModel:
    id: str
    study_id: str
    weights: list[float]
    means: list[float]
    stds: list[float]
    lineage: dict[str, Any]
    metrics: dict[str, dict[str, Any]]
    rounds: list[dict[str, Any]]
    seconds: float
    family: str = "logistic"  # or "mlp" (one hidden tanh layer): both in the model registry


def combine(site_rows: dict[str, list[list[Any]]]) -> list[tuple[Any, ...]]:
    """Sum each cell over sites; a cell any site suppressed is suppressed in the total."""
    cells: dict[tuple[Any, ...], int | None] = {}
    for rows in site_rows.values():
        for *dims, value in rows:
            key = tuple(dims)
            before = cells.get(key, 0)
            cells[key] = None if value is None or before is None else before + int(value)
    return [(*k, v) for k, v in cells.items()]


class Federation:
    """The hub's Socle node driving its SuperLink."""

    def __init__(self, node: Node, hub: Hub, *, role: str = "researcher") -> None:
        """``role``: the caller's role, recorded with each of its actions in the hub's audit
        (a researcher's study by default; the API passes the caller's own roles)."""
        self.node, self.hub, self.role = node, hub, role
        self.studies = Studies(node.engine, node.governance, node.audit)
        self._session: StudySession | None = None

    @contextmanager
    def session(self, study_id: str, *, actor: str, idle: float = 600.0,
                **config: Any) -> Iterator[Federation]:  # fmt: skip
        """Keep one Flower run open for the study: every count and training inside the block is
        only its rounds (feasibility counts in seconds). Each task is still approved, checked
        and audited one by one. While open, it is this process's kept session for the study
        (:meth:`keep_session`)."""
        study = self.studies.approved(study_id, "aggregates")
        self._session = StudySession.open(
            self.hub, study.id, {"quorum": study.quorum, **config}, idle
        )
        sessions.keep(self._session)  # this process's other callers (its API) use it too
        self.node.audit.record(
            actor=actor, role=self.role, action="federation.session", object=study.id,
            details={"state": "open", "run": self._session.run_id},
        )  # fmt: skip
        try:
            yield self
        finally:
            sessions.forget(self._session)
            self._session.close()
            self._session = None
            self.node.audit.record(
                actor=actor, role=self.role, action="federation.session", object=study.id,
                details={"state": "closed"},
            )  # fmt: skip

    def keep_session(self, study_id: str, *, actor: str, idle: float = 600.0) -> None:
        """Use the study session this process keeps open for the study, opened (and audited)
        when there is none or it is about to idle out: a hub's API answers the catalogue's
        network feasibility counts in seconds, not a ``flwr run`` each. The session ends by
        itself ``idle`` seconds after its last task."""

        def open_() -> StudySession:
            study = self.studies.approved(study_id, "aggregates")
            opened = StudySession.open(self.hub, study.id, {"quorum": study.quorum}, idle)
            self.node.audit.record(
                actor=actor, role=self.role, action="federation.session", object=study.id,
                details={"state": "open", "run": opened.run_id, "kept": True},
            )  # fmt: skip
            return opened

        self._session = sessions.kept(self.hub, study_id, idle, open_)

    def drop_session(self) -> None:
        """Forget the kept session in use (it failed: the next call opens a new one)."""
        if self._session is not None:
            sessions.forget(self._session)
            self._session.close()
            self._session = None

    def run(self, study: Study, task: str, *, actor: str, **config: Any) -> dict[str, Any]:
        """Perform ``task`` for ``study``: in the open study session, else as its own Flower
        run; the outcome is audited at the hub, a lost quorum raised."""
        overrides = {"task": task, "study": study.id, "quorum": study.quorum, **config}
        if self._session is not None and self._session.study_id == study.id:
            sessions.touch(self._session)
            rounds = int(config.get("rounds", 0)) + int(config.get("newton-rounds", 0))
            timeout = float(config.get("round-timeout", 120.0)) * (rounds + 2)
            result = self._session.perform(overrides, timeout)
        else:
            result = self._submit(task, overrides)
        self.node.audit.record(
            actor=actor, role=self.role, action=f"federation.{task}", object=study.id,
            outcome="ok" if result["status"] == "ok" else "stopped",
            details={"status": result["status"], "reason": result.get("reason", ""),
                     "rounds": [{k: r[k] for k in ("round", "kind", "answered", "refused", "missing")}
                                for r in result["rounds"]]},
        )  # fmt: skip
        if result["status"] != "ok":
            raise QuorumError(str(result["reason"]))
        return result

    def _submit(self, task: str, overrides: dict[str, Any]) -> dict[str, Any]:
        """Submit the Flower app for one task and wait for its outcome (the ServerApp's file)."""
        runs = self.hub.folder / "runs"
        runs.mkdir(parents=True, exist_ok=True)
        name = f"{task}-{uuid.uuid4().hex[:8]}"
        result_path = runs / f"{name}.json"
        config_file = runs / f"{name}.toml"
        config_file.write_text("\n".join(
            f"{k} = {json.dumps(v)}" for k, v in {**overrides, "result-path": str(result_path)}.items()
        ) + "\n")  # fmt: skip
        # A value TOML cannot carry fails here, not inside Flower.
        tomllib.loads(config_file.read_text())
        completed = self.hub.flwr(
            "run", str(APP_DIR), CONNECTION, "--stream", "--run-config", str(config_file)
        )
        if not result_path.exists():
            tail = " | ".join(completed.stdout.strip().splitlines()[-3:])
            raise NetworkError(f"the run '{name}' ended without a result ({tail[-300:]}); "
                               f"see the logs in {self.hub.folder}")  # fmt: skip
        result: dict[str, Any] = json.loads(result_path.read_text())
        return result

    def count(self, study_id: str, condition: str | int, *, actor: str, secure: bool = False,
              **config: Any) -> NetworkCounts:  # fmt: skip
        """Persons with ``condition`` by age band and sex across the network, checked at the hub.

        ``condition``: a source code (``SNOMED|38341003``), or a standard concept id counted
        with its descendants (each site's vocabulary).

        ``secure``: by SecAgg+ (:mod:`socle.federation.secure`): the sites send exact counts,
        masked; the hub sees only each cell's network total and checks it as a central node
        checks its pooled count, so the released table equals the central one.
        """
        study = self.studies.approved(study_id, "aggregates")
        what = _what(condition)
        if secure:
            return self._secure_count(study, condition, actor=actor, **config)
        result = self.run(study, "count", actor=actor, **what, **config)
        sites = {name: site["rows"] for name, site in result["sites"].items()}
        columns = next(iter(result["sites"].values()))["columns"]
        combined = combine(sites)
        # The hub's desk checks the inner cells every site released and adds its own margins;
        # the network's margins are the sums of the sites' checked margins (the desk's would
        # miss the inner cells a site suppressed, and re-adding them counted margins twice).
        inner = [r for r in combined if r[-1] is not None and TOTAL not in r[:-1]]
        table = counts_table(
            list(columns[:-1]), inner or [(*combined[0][:-1], 0)], measure=columns[-1]
        )
        report = self.node.desk.check(Output(
            "federated_counts", "frequency_table", table,
            Population(f"study {study.id}: persons with {condition}", sum(int(r[-1]) for r in inner)),
        ))  # fmt: skip
        hub_rows = {tuple(r[:-1]): r[-1] for r in report.rows}
        rows = tuple(
            (*r[:-1], None if r[-1] is None else r[-1] if TOTAL in r[:-1] else hub_rows.get(tuple(r[:-1])))
            for r in combined
        )  # fmt: skip
        return NetworkCounts(study.id, condition, tuple(columns), rows, sites, result["rounds"],
                             result["seconds"])  # fmt: skip

    def _secure_count(self, study: Study, condition: str | int, *, actor: str,
                      **config: Any) -> NetworkCounts:  # fmt: skip
        from socle.workspace import LEVELS

        result = self.run(study, "secure_count", actor=actor, **_what(condition), **config)
        cells = list(product(*(LEVELS[d] for d in DIMS)))
        totals = [(*cell, int(v)) for cell, v in zip(cells, result["cells"], strict=True)]
        table = counts_table(list(DIMS), totals, measure="persons")
        report = self.node.desk.check(Output(
            "federated_counts", "frequency_table", table,
            Population(f"study {study.id}: persons with {condition}", int(table.count.sum())),
        ))  # fmt: skip
        return NetworkCounts(study.id, condition, tuple(report.columns),
                             tuple(tuple(r) for r in report.rows), {}, result["rounds"],
                             result["seconds"], result["received"])  # fmt: skip

    def dp_count(self, study_id: str, condition: str | int, epsilon: float, *, actor: str,
                 by: str | None = None, **config: Any) -> NetworkDPCount:  # fmt: skip
        """Persons with ``condition`` (overall, or by ``by``), each site adding OpenDP noise and
        charging ``epsilon`` to its own grant's budget; the hub sums the noisy counts."""
        study = self.studies.approved(study_id, "aggregates")
        result = self.run(study, "dp_count", actor=actor, epsilon=epsilon, by=by or "",
                          **_what(condition), **config)  # fmt: skip
        sites = result["sites"]
        first = next(iter(sites.values()))
        values = [sum(s["values"][i] for s in sites.values()) for i in range(len(first["labels"]))]
        accuracy = [sum(s["accuracy"][i] for s in sites.values()) for i in range(len(values))]
        return NetworkDPCount(study.id, condition, tuple(first["labels"]), tuple(values),
                              tuple(accuracy), {n: s["epsilon"] for n, s in sites.items()},
                              result["seconds"])  # fmt: skip

    def feasibility(self, study_id: str, condition: str | int, *, actor: str,
                    epsilon: float | None = None, secure: bool = False,
                    **config: Any) -> int | None:  # fmt: skip
        """How many persons with ``condition`` across the network: the checked total of the
        count table (``None`` when suppressed; with ``secure``, by SecAgg+: the central rule
        applied to the exact total), or the rounded DP total when ``epsilon`` is given. Fast
        inside :meth:`session`."""
        if epsilon:
            noisy = self.dp_count(study_id, condition, epsilon, actor=actor, **config)
            return max(round(noisy.values[0]), 0)
        counts = self.count(study_id, condition, actor=actor, secure=secure, **config)
        total = next(r[-1] for r in counts.rows if all(v == TOTAL for v in r[:-1]))
        return None if total is None else int(total)

    def train(self, study_id: str, *, actor: str, rounds: int | None = None, mu: float = 0.0,
              dp: learning.ClientDP | None = None, model: str = "logistic", newton: int = 12,
              tol: float = 1e-6, **config: Any) -> FederatedModel:  # fmt: skip
        """Train across the sites; the model enters the hub's model registry (development stage)
        with its lineage: the study, the hub's grant, each site's grant and training snapshot,
        the rounds, and with ``dp`` (client-side differential privacy at every site) the ε/δ
        spent.

        The logistic regression: ``rounds`` (default 1) FedAvg rounds of local Newton solves
        (FedProx when ``mu`` > 0), then at most ``newton`` rounds of federated Newton on the
        central objective (:mod:`socle.federation.newton`) until the step is below ``tol``: the
        central optimum, its gradient's size recorded as the certificate. With ``dp`` or
        ``newton=0``, FedAvg only (default 3 rounds) and an evaluation round. ``model="mlp"``:
        the small neural network (:mod:`socle.federation.mlp`), FedAvg of ``steps`` local gradient
        steps a round; by default the schedule the network's training rows choose
        (:func:`mlp.schedule`: ``mlp.ROUNDS`` rounds of one step at ``mlp.LR``, central gradient
        descent exactly, below ``mlp.LARGE`` rows), else ``steps``/``lr`` in ``config``."""
        study = self.studies.approved(study_id, "federated_training")
        exact = model == "logistic" and dp is None and newton > 0
        if model == "mlp" and rounds is None and "steps" not in config:
            config |= {"steps": 0}  # 0: the sites' rows choose it (mlp.schedule), at the hub
            rounds = mlp.ROUNDS  # the longest schedule's rounds: the run's time limit
        elif model == "mlp":
            config = {"steps": mlp.STEPS, "lr": mlp.LR, **config}
            rounds = mlp.ROUNDS if rounds is None else rounds
        rounds = (1 if exact else 3) if rounds is None else rounds
        if dp is not None:
            config |= {"dp-clip": dp.clip, "dp-epsilon": dp.epsilon, "dp-delta": dp.delta}
        if exact:
            config |= {"newton-rounds": newton, "newton-tol": tol}
        result = self.run(study, "train", actor=actor, rounds=rounds, mu=mu, model=model, **config)
        rounds = int(result.get("train_rounds") or rounds)  # as the schedule ran
        model_id = self._register(study, result, rounds, actor=actor)
        return FederatedModel(model_id, study.id, result["weights"], result["means"], result["stds"],
                              self.model_lineage(model_id), result["metrics"], result["rounds"],
                              result["seconds"], model)  # fmt: skip

    @staticmethod
    def _lineage(study: Study, result: dict[str, Any], rounds: int) -> dict[str, Any]:
        return {
            "study": study.id, "hub_grant": study.grant_id, "strategy": result["strategy"],
            "model": result.get("model", "logistic"), "rounds": rounds,
            "steps": result.get("steps"), "lr": result.get("lr"),
            "network_rows": result.get("network_rows"),  # the sum of the sites' disclosed counts
            "sites": result["grants"], "site_snapshots": result.get("snapshots", {}),
            "per_round": [{k: r[k] for k in ("round", "kind", "answered", "bytes_sent", "bytes_received")}
                          for r in result["rounds"]],
            "differential_privacy": (learning.ClientDP(**result["dp"]).budget(rounds)
                                     if result.get("dp") else None),
            "newton": result.get("newton"),
        }  # fmt: skip

    def _register(self, study: Study, result: dict[str, Any], rounds: int, *, actor: str) -> str:
        from socle.ai import DEFAULT_DEFINITION, FederatedTraining, code_sha256

        prep = learning.Preprocessing(tuple(result["means"]), tuple(result["stds"]))
        family = mlp if result.get("model") == "mlp" else learning
        snapshots = result.get("snapshots", {})
        federation = self._lineage(study, result, rounds)
        parameters = {"strategy": result["strategy"], "rounds": rounds, "steps": result.get("steps"),
                      "lr": result.get("lr"), "mu": result.get("mu"), "C": 1.0 / learning.L2,
                      "model": result.get("model", "logistic"),
                      "hidden_units": mlp.HIDDEN if family is mlp else None,
                      "federation": federation}  # fmt: skip
        metrics = result["metrics"]
        model_id = self.node.models.register_external(
            family.as_pipeline(result["weights"], prep), definition_id=DEFAULT_DEFINITION,
            grant_id=study.grant_id, purpose=self.node.governance.grant(study.grant_id).purpose,
            training_set_sha256=_digest(json.dumps(snapshots, sort_keys=True)),
            code_sha256=_digest(code_sha256() + _source_sha256()), parameters=parameters,
            report=_report(metrics, result.get("network_rows")), source=f"federation {study.id}",
            actor=actor, role=self.role, federation=FederatedTraining(
                study.id, tuple(sorted(result["grants"])), rounds, result["strategy"],
                tuple(federation["per_round"]),
            ),
        )  # fmt: skip
        self.node.audit.record(
            actor=actor, role=self.role, action="federation.model", object=model_id,
            details={"study": study.id, "sites": sorted(result["grants"]), "rounds": rounds},
        )  # fmt: skip
        return model_id

    def model_lineage(self, model_id: str) -> dict[str, Any]:
        """A federated model's lineage (study, grants, rounds) from the hub's model registry."""
        from socle.ai import ModelNotFoundError

        try:
            params = self.node.models.lineage(model_id).get("parameters", {})
        except ModelNotFoundError:
            return self._recorded_before_registry(model_id)
        if "federation" not in params:
            raise NetworkError(f"model '{model_id[:40]}' was not trained by the federation")
        return dict(params["federation"])

    def _recorded_before_registry(self, model_id: str) -> dict[str, Any]:
        """Models trained before the registry took federated models (``federation_model``)."""
        with self.node.engine.connect() as conn:
            row = conn.execute(
                select(federated_model.c.lineage).where(federated_model.c.id == model_id)
            ).first()
        if row is None:
            raise NetworkError(f"no federated model '{model_id[:40]}' at this hub")
        return dict(row.lineage)


def _what(condition: str | int) -> dict[str, Any]:
    """The run's settings naming what the sites count (a concept id travels on its own key)."""
    if isinstance(condition, int):
        return {"condition": "", "concept": condition}
    return {"condition": condition, "concept": 0}


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _source_sha256() -> str:
    """The hash of the federation's own code (the sites' answers, the rounds, FedAvg)."""
    folder = Path(__file__).parent
    return _digest("".join(p.name + p.read_text() for p in sorted(folder.glob("*.py"))))


def _report(metrics: dict[str, dict[str, Any]], rows: int | None) -> dict[str, Any]:
    """The registry's report from what the sites let out: each site's checked held-out AUROC
    and their mean weighted by held-out rows when every site released its figure."""
    shown = [(m["auroc"], m.get("rows") or 0) for m in metrics.values()]
    weight = sum(r for _, r in shown)
    pooled = (
        round(sum(a * r for a, r in shown) / weight, 3)
        if shown and weight and all(a is not None for a, _ in shown)
        else None
    )
    return {
        "validation": "federated: held-out persons (pseudonymous id divisible by 4) at each site, "
        "each site's AUROC checked by its own release desk",
        "discrimination": {"auroc": pooled, "ci95": [None, None], "per_site": metrics},
        "counts": {"rows": rows},
    }
