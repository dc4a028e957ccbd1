"""The Flower app's ServerApp: rounds, quorum, FedAvg, study sessions (at the hub).

The ServerApp runs at the hub under the SuperLink; it sees only what sites
send back (checked tables, summed statistics, weights, the Newton rounds' sums,
checked metrics) and
writes the run's outcome to ``result-path`` for the hub's Socle node, which
checks it again and records it. The sites answer with their own ClientApp
(:mod:`socle.federation.client`, run inside each SuperNode by
:mod:`socle.federation.executor`); SecAgg+ counts go through Flower's legacy
workflow (:mod:`socle.federation.secure`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flwr.app import ConfigRecord, Context, Message, RecordDict
from flwr.serverapp import Grid, ServerApp

from socle.federation import learning, mlp, newton

server = ServerApp()
Payload = dict[str, Any]


def _pack(payload: Payload) -> RecordDict:
    return RecordDict({"socle": ConfigRecord({"json": json.dumps(payload)})})


def _unpack(message: Message) -> Payload:
    record = message.content["socle"]
    assert isinstance(record, ConfigRecord)
    return dict(json.loads(str(record["json"])))


# -- hub -------------------------------------------------------------------------------------


class Exchange:
    """Messages to the sites and their replies, with the bytes each round moved."""

    def __init__(self, grid: Grid, cfg: dict[str, Any], context: Context) -> None:
        self.grid, self.cfg, self.context = grid, cfg, context
        self.rounds: list[dict[str, Any]] = []
        self.expected = int(cfg["sites"])
        self.nodes = self._join(self.expected, float(cfg["join-timeout"]))
        self.names: dict[int, str] = {}

    def _join(self, sites: int, timeout: float) -> list[int]:
        deadline = time.monotonic() + timeout
        while True:
            nodes = sorted(self.grid.get_node_ids())
            if len(nodes) >= sites or time.monotonic() > deadline:
                return nodes
            time.sleep(0.5)

    def ask(self, kind: str, payload: Payload, round_: int) -> dict[int, Payload]:
        """Send one request to every node still in the run; the replies that came in time."""
        started = time.monotonic()
        body = {"study": self.cfg["study"], "kind": kind, "round": round_, **payload}
        messages = [
            Message(_pack(body), dst_node_id=n, message_type="query", group_id=str(round_))
            for n in self.nodes
        ]
        sent = len(json.dumps(body)) * len(messages)
        replies: dict[int, Payload] = {}
        received = 0
        for reply in self._send_and_receive(messages, float(self.cfg["round-timeout"])):
            if reply.has_error():
                continue
            content = _unpack(reply)
            received += len(json.dumps(content))
            node = reply.metadata.src_node_id
            self.names[node] = str(content.get("site", node))
            replies[node] = content
        # Silent: sent a message and no reply in time, or never joined (first round).
        missing = [n for n in self.nodes if n not in replies]
        absent = max(self.expected - len(self.nodes), 0) if not self.rounds else 0
        self.rounds.append({
            "round": round_, "kind": kind, "seconds": round(time.monotonic() - started, 2),
            "bytes_sent": sent, "bytes_received": received,
            "answered": sorted(self.names[n] for n in replies if replies[n]["status"] == "ok"),
            "refused": {self.names[n]: r.get("reason", "") for n, r in replies.items() if r["status"] != "ok"},
            "missing": len(missing) + absent,
        })  # fmt: skip
        return replies

    def _send_and_receive(self, messages: list[Message], timeout: float) -> list[Message]:
        """Push, then pull the replies every ``poll`` seconds (Flower's own loop sleeps 3 s)."""
        waiting = set(self.grid.push_messages(messages))
        deadline, poll = time.monotonic() + timeout, float(self.cfg.get("poll", 0.1))
        replies: list[Message] = []
        while waiting and time.monotonic() < deadline:
            for reply in self.grid.pull_messages(waiting):
                waiting.discard(reply.metadata.reply_to_message_id)
                replies.append(reply)
            if waiting:
                time.sleep(poll)
        return replies

    def ok(self, replies: dict[int, Payload], round_: int) -> dict[int, Payload]:
        """Replies that contribute; nodes that refused or went silent leave the run; quorum."""
        good = {n: r for n, r in replies.items() if r["status"] == "ok"}
        self.nodes = sorted(good)
        quorum = int(self.cfg["quorum"])
        if len(good) < quorum:
            raise _Stopped(f"round {round_}: {len(good)} site(s) answered, the study's quorum "
                           f"is {quorum}; the run stopped")  # fmt: skip
        return good


class _Stopped(Exception):
    """The run stopped with a reason the hub reports (quorum lost)."""


def _condition(cfg: dict[str, Any]) -> Payload:
    """What the sites count: a source code, or a standard concept with its descendants."""
    return {"condition": cfg["condition"], "concept": int(cfg.get("concept") or 0)}


def _count(x: Exchange) -> Payload:
    replies = x.ok(x.ask("count", _condition(x.cfg), 1), 1)
    return {"sites": {x.names[n]: {"grant": r["grant"], "columns": r["columns"], "rows": r["rows"]}
                      for n, r in replies.items()}}  # fmt: skip


def _secure_count(x: Exchange) -> Payload:
    """The network's exact count grid by SecAgg+: the hub learns only the sums."""
    from socle.federation.secure import secure_sum

    started = time.monotonic()
    config = {"study": x.cfg["study"], **_condition(x.cfg), "round": 1}
    total, contributors, masked = secure_sum(
        x.grid, x.context, config, sites=len(x.nodes) or x.expected,
        timeout=float(x.cfg["round-timeout"]), poll=float(x.cfg.get("poll", 0.1)),
    )  # fmt: skip
    x.rounds.append({"round": 1, "kind": "secure_count", "answered": [], "refused": {},
                     "seconds": round(time.monotonic() - started, 2), "contributors": contributors,
                     "missing": max(len(x.nodes) - contributors, 0), "bytes_sent": 0,
                     "bytes_received": 0})  # fmt: skip
    quorum = int(x.cfg["quorum"])
    if contributors < quorum or not total:
        raise _Stopped(f"round 1: {contributors} site(s) contributed to the secure sum, the "
                       f"study's quorum is {quorum}; the run stopped")  # fmt: skip
    return {"cells": total, "contributors": contributors, "received": masked}


def _dp_count(x: Exchange) -> Payload:
    body = {**_condition(x.cfg), "epsilon": float(x.cfg["epsilon"]), "by": x.cfg["by"]}
    replies = x.ok(x.ask("dp_count", body, 1), 1)
    keys = ("grant", "labels", "values", "accuracy", "epsilon", "confidence")
    return {"sites": {x.names[n]: {k: r[k] for k in keys} for n, r in replies.items()}}


def _train(x: Exchange) -> Payload:
    stats = x.ok(x.ask("stats", {}, 0), 0)
    prep = learning.combine_sums([r["sums"] for r in stats.values()])
    network_rows = sum(int(r["rows"] or 0) for r in stats.values())
    grants = {x.names[n]: r["grant"] for n, r in stats.items()}
    snapshots = {x.names[n]: r.get("training_set_sha256") for n, r in stats.items()}
    family = str(x.cfg.get("model", "logistic"))
    weights = mlp.initial(len(prep.means)) if family == "mlp" else [0.0] * (len(prep.means) + 1)
    rounds, steps, lr = int(x.cfg["rounds"]), int(x.cfg["steps"]), float(x.cfg["lr"])
    if family == "mlp" and steps <= 0:  # the default: the network's rows choose the schedule
        rounds, steps, lr = mlp.schedule(network_rows)
    common = {"model": family, "means": list(prep.means), "stds": list(prep.stds),
              "steps": steps, "lr": lr, "mu": float(x.cfg["mu"]), "network_rows": network_rows}  # fmt: skip
    dp = {k: float(x.cfg.get(f"dp-{k}", 0.0)) for k in ("clip", "epsilon", "delta")}
    train = {**common, "dp": dp} if dp["epsilon"] > 0 else common
    for round_ in range(1, rounds + 1):
        replies = x.ok(x.ask("train", {**train, "weights": weights}, round_), round_)
        weights = learning.fed_average(
            [(r["weights"], int(r["rows"] or 1)) for r in replies.values()]
        )
        for n, r in replies.items():
            grants.setdefault(x.names[n], r["grant"])
    certificate = None
    if family == "logistic" and dp["epsilon"] <= 0 and int(x.cfg.get("newton-rounds", 0)) > 0:
        start = [weights, [0.0] * len(weights)]
        weights, metrics, certificate = _newton(x, common, start, rounds + 1)
    else:
        final = x.ask("evaluate", {**common, "weights": weights}, rounds + 1)
        metrics = {x.names[n]: {k: r.get(k) for k in METRIC_KEYS}
                   for n, r in final.items() if r["status"] == "ok"}  # fmt: skip
    return {"weights": weights, "means": list(prep.means), "stds": list(prep.stds),
            "grants": grants, "snapshots": snapshots, "network_rows": network_rows,
            "metrics": metrics, "strategy": "fedprox" if common["mu"] else "fedavg",
            "steps": common["steps"], "lr": common["lr"], "mu": common["mu"], "model": family,
            "train_rounds": rounds,
            "dp": dp if dp["epsilon"] > 0 else None, "newton": certificate}  # fmt: skip


METRIC_KEYS = ("auroc", "rows", "events", "withheld_by")


def _newton(x: Exchange, common: Payload, start: list[list[float]],
            first: int) -> tuple[list[float], dict[str, Any], dict[str, Any]]:  # fmt: skip
    """Newton rounds on the central objective (:mod:`socle.federation.newton`) until the step is
    below ``newton-tol`` (at most ``newton-rounds``): the weights, the sites' checked evaluation
    at exactly those weights (sent in the same round), and the convergence certificate."""
    search = newton.Search(float(x.cfg.get("newton-tol", 1e-6)))
    metrics: dict[str, Any] = {}
    done = 0
    for round_ in range(first, first + int(x.cfg["newton-rounds"])):
        done += 1
        candidates = search.candidates(start)
        replies = x.ok(x.ask("newton", {**common, "candidates": candidates}, round_), round_)
        answers = [[r["at"][i] for r in replies.values()] for i in range(len(candidates))]
        steps = [None if any("withheld" in a for a in at) else newton.newton_step(c, at)
                 for c, at in zip(candidates, answers, strict=True)]  # fmt: skip
        chosen = search.update(steps, frozenset(x.names[n] for n in replies))
        if chosen is not None:
            metrics = {x.names[n]: {k: r["at"][chosen].get(k) for k in METRIC_KEYS}
                       for n, r in replies.items()}  # fmt: skip
        if search.converged:
            break
    assert search.current is not None
    return search.current.weights, metrics, search.certificate(done)


TASKS: dict[str, Callable[[Exchange], Payload]] = {
    "count": _count, "dp_count": _dp_count, "train": _train, "secure_count": _secure_count,
}  # fmt: skip


def _perform(grid: Grid, cfg: dict[str, Any], context: Context) -> Payload:
    """One task (a count, a training) from the first message to its outcome."""
    started = time.monotonic()
    x: Exchange | None = None
    try:
        x = Exchange(grid, cfg, context)
        result: Payload = {"status": "ok", **TASKS[str(cfg["task"])](x)}
    except _Stopped as exc:
        result = {"status": "stopped", "reason": str(exc)}
    result["rounds"] = x.rounds if x is not None else []
    result["seconds"] = round(time.monotonic() - started, 2)
    return result


def _session(grid: Grid, cfg: dict[str, Any], context: Context) -> None:
    """A study session: one run that performs every task the hub drops in ``session-dir``
    (``NAME.task.json`` → ``NAME.result.json``), so a feasibility count costs rounds, not a
    new ``flwr run``; ends on a ``stop`` file or after ``session-idle`` seconds without a task."""
    folder = Path(str(cfg["session-dir"]))
    idle_since = time.monotonic()
    while not (folder / "stop").exists():
        tasks = sorted(folder.glob("*.task.json"))
        if not tasks:
            if time.monotonic() - idle_since > float(cfg["session-idle"]):
                return
            time.sleep(float(cfg.get("poll", 0.1)))
            continue
        for path in tasks:
            task = json.loads(path.read_text())
            path.unlink()
            result = _perform(grid, {**cfg, **task}, context)
            target = Path(str(task["result-path"]))
            target.with_suffix(".part").write_text(json.dumps(result))
            target.with_suffix(".part").replace(target)
        idle_since = time.monotonic()


@server.main()
def main(grid: Grid, context: Context) -> None:
    from socle.federation.supernode import quick_object_pulls

    quick_object_pulls()  # the replies' objects: retried after 0.05 s, not 1 s
    cfg = dict(context.run_config)
    if cfg["task"] == "session":
        _session(grid, cfg, context)
        return
    result = _perform(grid, cfg, context)
    Path(str(cfg["result-path"])).write_text(json.dumps(result))
