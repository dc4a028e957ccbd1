"""Federated vs central on the same persons: counts, a logistic regression, wall time, bytes.

A hub and three sites on loopback (real SuperLink and SuperNodes, TLS, node authentication); a
central node holds the pooled persons, with the sites' key folder (same pseudonyms, date shifts
and held-out persons). Data: the bundled 50-person FHIR sample split round-robin, or
``--persons N`` persons cloned from it (``benchmarks/_clone.py``; one Parquet bucket per site,
attached as an OMOP CDM). Prints one count and one FedAvg training, federated and central, their
ratio, time per phase and bytes per round.

``--mode runs``: each task its own ``flwr run`` (CLI, app build, ServerApp start-up each time);
``--mode session``: one study session (one ``flwr run``) performs the count, a second count (the
feasibility count a catalogue would ask) and the training.

Usage: ``python benchmarks/federation.py [--persons N] [--rounds R] [--steps S] [--lr η]
[--lr-rounds R] [--newton N] [--mode runs|session]`` (``--rounds``, ``--steps``, ``--lr``: the
neural network's schedule, by default chosen by its rows: 60 rounds of 1 step at 2 on the
sample, 3 of 200 at 0.5 at 100,000 persons; ``--lr-rounds``: the
logistic regression's FedAvg rounds, 1 by default, each site solving its share by Newton's
method; then at most ``--newton`` federated Newton rounds to the central optimum).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from socle.config import Settings
from socle.demo import bundled_sample
from socle.federation import (
    FEDERATION_ACTOR,
    Federation,
    LocalNetwork,
    build_network,
    committee_grant,
    compare_model,
)
from socle.node import Node

CONDITION = "SNOMED|73595000"
SMALL_SITE_ENV = {"SOCLE_MIN_TRAINING_PERSONS": "5", "SOCLE_MIN_TRAINING_EVENTS": "2"}
SITES = 3


def cloned_parts(folder: Path, persons: int) -> tuple[list[Path], Path]:
    """``persons`` cloned persons as one Parquet CDM per site and one pooled (identifiers off:
    clones share their original's source value, so each is keyed by its new person id)."""
    import duckdb
    from _clone import clone

    from socle.warehouse import CDM

    out = folder / "clone"
    rows = clone(out, persons, buckets=SITES)
    con = duckdb.connect()
    parts = [folder / f"part-{i}" for i in range(SITES)]
    pooled = folder / "pooled"
    for target in (*parts, pooled):
        target.mkdir(parents=True)
    for table in CDM:
        if not rows.get(table):
            continue
        source = f"read_parquet('{out / table}/*/*.parquet', hive_partitioning = true)"
        clear = " REPLACE (NULL AS person_source_value)" if table == "person" else ""
        for i, target in enumerate(parts):
            con.execute(f"COPY (SELECT *{clear} FROM {source} WHERE person_bucket = {i}) "
                        f"TO '{target / table}.parquet' (FORMAT parquet)")  # fmt: skip
        con.execute(f"COPY (SELECT *{clear} FROM {source}) TO '{pooled / table}.parquet' "
                    "(FORMAT parquet)")  # fmt: skip
    con.close()
    return parts, pooled


def cpu_seconds(net: LocalNetwork) -> float:
    """CPU seconds used so far by this process and every process of the network (SuperLink,
    its ServerApp, the SuperNodes with their executors): the federated side's CPU time."""
    tick = os.sysconf("SC_CLK_TCK")
    total = time.process_time()
    for pid in net.pids():
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def tasks(fed: Federation, net: LocalNetwork, rounds: int | None, mode: str,
          lr_rounds: int, newton: int, schedule: dict[str, Any]) -> dict[str, Any]:  # fmt: skip
    """The count, a feasibility count, the training: wall time of each, at the hub."""
    timed: dict[str, Any] = {}
    with ExitStack() as stack:
        t0 = time.perf_counter()
        if mode == "session":
            stack.enter_context(fed.session(net.study.id, actor="bench"))
        timed["session_open"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        timed["counts"] = fed.count(net.study.id, CONDITION, actor="bench")
        timed["count"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        timed["feasible"] = fed.feasibility(net.study.id, CONDITION, actor="bench")
        timed["feasibility"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        timed["secure_counts"] = fed.count(net.study.id, CONDITION, actor="bench", secure=True)
        timed["secure"] = time.perf_counter() - t0
        t0, c0 = time.perf_counter(), cpu_seconds(net)
        timed["model"] = fed.train(net.study.id, actor="bench", rounds=lr_rounds, newton=newton)
        timed["train"] = time.perf_counter() - t0
        timed["train_cpu"] = cpu_seconds(net) - c0
        t0 = time.perf_counter()
        timed["mlp"] = fed.train(
            net.study.id, actor="bench", rounds=rounds, model="mlp", **schedule
        )
        timed["train_mlp"] = time.perf_counter() - t0
    return timed


def process_start() -> float:
    """Seconds to start a Python process that imports Flower's ClientApp, on this machine now:
    the floor of every round (Flower starts one such process per message at each site)."""
    import subprocess
    import sys

    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import flwr.clientapp, flwr.app"], check=True)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--persons", type=int, default=0, help="clone N persons (0: the sample)")
    parser.add_argument(
        "--rounds",
        type=int,
        default=None,
        help="the neural network's rounds (default: chosen by its rows, mlp.schedule)",
    )
    parser.add_argument("--steps", type=int, default=None, help="its local steps a round")
    parser.add_argument("--lr", type=float, default=None, help="its learning rate")
    parser.add_argument("--mode", choices=("runs", "session"), default="session")
    parser.add_argument(
        "--lr-rounds",
        type=int,
        default=1,
        help="FedAvg rounds of the logistic regression before the federated Newton rounds "
        "(each site solves its share by Newton's method: the start of the Newton rounds)",
    )
    parser.add_argument(
        "--newton",
        type=int,
        default=12,
        help="at most this many federated Newton rounds (0: FedAvg and an evaluation round)",
    )
    # Both sides run in this process: scikit-learn (the registry's pipeline at the hub, the
    # central fit) is imported before either is timed, so neither pays its import.
    import sklearn.linear_model
    import sklearn.metrics
    import sklearn.pipeline  # noqa: F401

    # The hub's registry writes a skops artefact and the model's documents (plots, templates):
    # ~2 s of first-use imports, paid once by a hub's long-running process, not per model.
    import skops.io  # noqa: F401

    import socle.ai.documents  # noqa: F401

    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        keys = folder / "shared-keys"  # same pseudonyms at the sites and centrally: same split
        t0 = time.perf_counter()
        if args.persons:
            parts, pooled = cloned_parts(folder, args.persons)
            net = build_network(folder / "net", bundled_sample(), shared_keys=keys, cdm_parts=parts)
        else:
            pooled = bundled_sample()
            net = build_network(folder / "net", pooled, site_env=SMALL_SITE_ENV, shared_keys=keys)
        built = time.perf_counter() - t0
        central = Node.open(Settings(home=folder / "central", keys_dir=keys))
        if args.persons:
            central.attach_cdm(pooled, actor="bench")
        else:
            central.load(pooled, actor="bench")
        grant = committee_grant(central, "central", FEDERATION_ACTOR, "central")
        t0 = time.perf_counter()
        net.start()
        started = time.perf_counter() - t0
        hub = net.open_hub()
        try:
            timed = tasks(
                net.federation(hub),
                net,
                args.rounds,
                args.mode,
                args.lr_rounds,
                args.newton,
                {k: v for k, v in (("steps", args.steps), ("lr", args.lr)) if v is not None},
            )
            t0 = time.perf_counter()
            central_report = central.workspace.check_condition_counts(
                grant, CONDITION, ("age_band", "sex"), actor=FEDERATION_ACTOR
            )
            central_count = time.perf_counter() - t0
            c0 = time.process_time()
            cmp = compare_model(central, grant, timed["model"])
            timed["central_cpu"] = time.process_time() - c0
            timed["cmp_mlp"] = compare_model(central, grant, timed["mlp"])
        finally:
            hub.close()
            net.stop()
            central.close()
    timed["process_start"] = process_start()
    report(args, timed, central_report, central_count, cmp, built, started)


def report(args: argparse.Namespace, timed: dict[str, Any], central_report: Any,
           central_count: float, cmp: Any, built: float, started: float) -> None:  # fmt: skip
    counts, model = timed["counts"], timed["model"]
    central_cells = {tuple(r[:-1]): r[-1] for r in central_report.rows}
    released = [r for r in counts.rows if r[-1] is not None]
    same = all(central_cells[tuple(r[:-1])] == r[-1] for r in released)
    hidden = sum(
        1 for r in counts.rows if r[-1] is None and central_cells[tuple(r[:-1])] is not None
    )
    data = f"{args.persons:,} cloned persons" if args.persons else "the 50-person sample"
    print(f"{data} split over {SITES} sites; mode {args.mode}; logistic regression "
          f"{args.lr_rounds} FedAvg round(s) then at most {args.newton} Newton rounds, neural "
          f"network {args.rounds or 'default'} rounds of {args.steps or 'default'} steps")  # fmt: skip
    print(f"build nodes + grants: {built:.1f} s; start SuperLink + SuperNodes: {started:.1f} s; "
          f"open the study session: {timed['session_open']:.1f} s")  # fmt: skip
    print(f"count: federated {timed['count']:.1f} s (ServerApp {counts.seconds:.1f} s) vs central "
          f"{central_count:.2f} s; released cells equal central: {same} "
          f"({len(released)} released, {hidden} more hidden than central)")  # fmt: skip
    print(f"feasibility count (network total {timed['feasible']}): {timed['feasibility']:.1f} s")
    secure = {tuple(r[:-1]): r[-1] for r in timed["secure_counts"].rows}
    print(f"SecAgg+ count: {timed['secure']:.1f} s; every cell equals central after the same "
          f"checks: {secure == central_cells}")  # fmt: skip
    print(f"training: federated {timed['train']:.1f} s (ServerApp {model.seconds:.1f} s) vs "
          f"central {cmp.central_seconds:.2f} s (checkpoint read, fit, held-out AUROC) — ratio "
          f"{timed['train'] / cmp.central_seconds:.1f}x; hub after the ServerApp (hand-off, "
          f"registry): {timed['train'] - model.seconds:.1f} s")  # fmt: skip
    print(f"training CPU time: federated {timed['train_cpu']:.1f} s (all the network's processes)"
          f" vs central {timed['central_cpu']:.1f} s (fit and AUROC of both models included) — "
          f"ratio {timed['train_cpu'] / timed['central_cpu']:.1f}x")  # fmt: skip
    print(f"pooled held-out AUROC ({cmp.held_out_rows} landmarks): federated "
          f"{cmp.federated_auroc:.4f}, central {cmp.central_auroc:.4f}, "
          f"difference {cmp.difference:.4f} (goal < 0.01)")  # fmt: skip
    exact = model.lineage.get("newton")
    if exact:
        print(f"federated Newton: converged {exact['converged']} in {exact['rounds']} rounds, "
              f"largest gradient component {exact['gradient_norm']:.1e}, last step "
              f"{exact['step']:.1e}")  # fmt: skip
    print(f"weights: largest difference federated vs central {cmp.weights_difference:.1e}")
    mlp, cm = timed["mlp"], timed["cmp_mlp"]
    print(f"neural network: federated {timed['train_mlp']:.1f} s (ServerApp {mlp.seconds:.1f} s) "
          f"vs central {cm.central_seconds:.2f} s — ratio {timed['train_mlp'] / cm.central_seconds:.1f}x;"
          f" AUROC federated {cm.federated_auroc:.4f}, central {cm.central_auroc:.4f}, "
          f"difference {cm.difference:.4f}, weights apart {cm.weights_difference:.1e}")  # fmt: skip
    print(f"load average now: {' '.join(f'{v:.1f}' for v in os.getloadavg())}")
    print(f"baseline: a Python process importing Flower's ClientApp starts in "
          f"{timed['process_start']:.1f} s here now (one per message per site)")  # fmt: skip
    print("round  kind      seconds  bytes sent  bytes received")
    for r in [*counts.rounds, *model.rounds]:
        print(f"{r['round']:>5}  {r['kind']:8}  {r['seconds']:>7.1f}  {r['bytes_sent']:>10,}"
              f"  {r['bytes_received']:>14,}")  # fmt: skip


if __name__ == "__main__":
    main()
