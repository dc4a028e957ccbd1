"""The hub's side: submit a study's run to the SuperLink, check and record what comes back.

The hub runs a federated request only for a study its committee approved
(:class:`~socle.federation.studies.Studies`). The combined count table goes
through the hub's own release checks before anyone sees it; a cell is
"suppressed" network-wide when any site suppressed it. A federated model is
recorded with its lineage: the study, the hub's grant, each site and its own
grant, the rounds and the bytes each moved. Every run is audited at the hub
with the study id.
"""

from __future__ import annotations

import json
import tomllib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from socle.federation.errors import NetworkError, QuorumError
from socle.federation.network import APP_DIR, CONNECTION, Hub
from socle.federation.studies import Studies, Study
from socle.federation.tables import federated_model
from socle.node import Node
from socle.release import Output, Population, counts_table

SUPPRESSED = "suppressed"


@dataclass(frozen=True)
class NetworkCounts:
    """A federated count table after the hub's checks (``None`` = suppressed)."""

    study_id: str
    condition: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    sites: dict[str, list[list[Any]]]  # what each site released (None = suppressed there)
    rounds: list[dict[str, Any]]
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

    def __init__(self, node: Node, hub: Hub) -> None:
        self.node, self.hub = node, hub
        self.studies = Studies(node.engine, node.governance, node.audit)

    def run(self, study: Study, task: str, *, actor: str, **config: Any) -> dict[str, Any]:
        """Submit the Flower app for ``study`` and wait for its outcome (the ServerApp's file)."""
        runs = self.hub.folder / "runs"
        runs.mkdir(parents=True, exist_ok=True)
        name = f"{task}-{uuid.uuid4().hex[:8]}"
        result_path = runs / f"{name}.json"
        overrides = {"task": task, "study": study.id, "quorum": study.quorum,
                     "result-path": str(result_path), **config}  # fmt: skip
        config_file = runs / f"{name}.toml"
        config_file.write_text(
            "\n".join(f"{k} = {json.dumps(v)}" for k, v in overrides.items()) + "\n"
        )
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
        self.node.audit.record(
            actor=actor, role="researcher", action=f"federation.{task}", object=study.id,
            outcome="ok" if result["status"] == "ok" else "stopped",
            details={"status": result["status"], "reason": result.get("reason", ""),
                     "rounds": [{k: r[k] for k in ("round", "kind", "answered", "refused", "missing")}
                                for r in result["rounds"]]},
        )  # fmt: skip
        if result["status"] != "ok":
            raise QuorumError(str(result["reason"]))
        return result

    def count(self, study_id: str, condition: str, *, actor: str, **config: Any) -> NetworkCounts:
        """Persons with ``condition`` by age band and sex across the network, checked at the hub."""
        study = self.studies.approved(study_id, "aggregates")
        result = self.run(study, "count", actor=actor, condition=condition, **config)
        sites = {name: site["rows"] for name, site in result["sites"].items()}
        columns = next(iter(result["sites"].values()))["columns"]
        combined = combine(sites)
        released = [r for r in combined if r[-1] is not None]
        table = counts_table(
            list(columns[:-1]), released or [(*combined[0][:-1], 0)], measure=columns[-1]
        )
        report = self.node.desk.check(Output(
            "federated_counts", "frequency_table", table,
            Population(f"study {study.id}: persons with {condition}", sum(int(r[-1]) for r in released)),
        ))  # fmt: skip
        hub_rows = {tuple(r[:-1]): r[-1] for r in report.rows}
        rows = tuple(
            (*r[:-1], hub_rows.get(tuple(r[:-1])) if r[-1] is not None else None) for r in combined
        )
        return NetworkCounts(study.id, condition, tuple(columns), rows, sites, result["rounds"],
                             result["seconds"])  # fmt: skip

    def train(self, study_id: str, *, actor: str, rounds: int = 3, mu: float = 0.0,
              **config: Any) -> FederatedModel:  # fmt: skip
        """FedAvg (FedProx when ``mu`` > 0) of the logistic regression; the model is recorded."""
        study = self.studies.approved(study_id, "federated_training")
        result = self.run(study, "train", actor=actor, rounds=rounds, mu=mu, **config)
        model_id = "fedmodel-" + uuid.uuid4().hex[:10]
        lineage = {
            "study": study.id, "hub_grant": study.grant_id, "strategy": result["strategy"],
            "rounds": rounds, "sites": result["grants"],
            "per_round": [{k: r[k] for k in ("round", "kind", "answered", "bytes_sent", "bytes_received")}
                          for r in result["rounds"]],
        }  # fmt: skip
        weights = {
            "coefficients": result["weights"],
            "means": result["means"],
            "stds": result["stds"],
        }
        with self.node.engine.begin() as conn:
            conn.execute(federated_model.insert().values(
                id=model_id, study_id=study.id, lineage=json.dumps(lineage),
                weights=json.dumps(weights), created_at=datetime.now(UTC).replace(tzinfo=None),
            ))  # fmt: skip
            self.node.audit.append(
                conn, actor=actor, role="researcher", action="federation.model", object=model_id,
                details={"study": study.id, "sites": sorted(result["grants"]), "rounds": rounds},
            )  # fmt: skip
        return FederatedModel(model_id, study.id, result["weights"], result["means"], result["stds"],
                              lineage, result["metrics"], result["rounds"], result["seconds"])  # fmt: skip

    def model_lineage(self, model_id: str) -> dict[str, Any]:
        with self.node.engine.connect() as conn:
            row = conn.execute(
                select(federated_model).where(federated_model.c.id == model_id)
            ).first()
        if row is None:
            raise NetworkError(f"no federated model '{model_id[:40]}' at this hub")
        return dict(json.loads(row.lineage))
