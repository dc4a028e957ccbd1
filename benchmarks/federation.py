"""Federated vs central on the same persons: counts, a logistic regression, wall time, bytes.

A hub and three sites on loopback (real SuperLink and SuperNodes, TLS, node authentication)
split a FHIR sample round-robin; a central node holds the pooled persons. Prints the federated
and central figures of one count and one FedAvg training, their ratio, and per-round bytes and
seconds. Usage: ``python benchmarks/federation.py [--sample DIR] [--rounds N]`` (default: the
bundled 50-person sample, 3 rounds).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from socle.config import Settings
from socle.demo import bundled_sample
from socle.federation import FEDERATION_ACTOR, build_network, committee_grant, compare_model
from socle.node import Node

CONDITION = "SNOMED|73595000"
SITE_ENV = {"SOCLE_MIN_TRAINING_PERSONS": "5", "SOCLE_MIN_TRAINING_EVENTS": "2"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sample", type=Path, default=bundled_sample())
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        keys = folder / "shared-keys"  # same pseudonyms at the sites and centrally: same split
        net = build_network(folder / "net", args.sample, site_env=SITE_ENV, shared_keys=keys)
        built = time.perf_counter() - t0
        central = Node.open(Settings(home=folder / "central", keys_dir=keys))
        central.load(args.sample, actor="bench")
        grant = committee_grant(central, "central", FEDERATION_ACTOR, "central")
        t0 = time.perf_counter()
        net.start()
        started = time.perf_counter() - t0
        hub = net.open_hub()
        try:
            fed = net.federation(hub)
            t0 = time.perf_counter()
            counts = fed.count(net.study.id, CONDITION, actor="bench")
            count_wall = time.perf_counter() - t0
            t0 = time.perf_counter()
            central_report = central.workspace.check_condition_counts(
                grant, CONDITION, ("age_band", "sex"), actor=FEDERATION_ACTOR
            )
            central_count = time.perf_counter() - t0
            t0 = time.perf_counter()
            model = fed.train(net.study.id, actor="bench", rounds=args.rounds)
            train_wall = time.perf_counter() - t0
            cmp = compare_model(central, grant, model)
        finally:
            hub.close()
            net.stop()
            central.close()
    central_cells = {tuple(r[:-1]): r[-1] for r in central_report.rows}
    released = [r for r in counts.rows if r[-1] is not None]
    same = all(central_cells[tuple(r[:-1])] == r[-1] for r in released)
    hidden = sum(
        1 for r in counts.rows if r[-1] is None and central_cells[tuple(r[:-1])] is not None
    )
    print(f"sample: {args.sample} split over {len(net.site_names)} sites")
    print(f"build nodes + grants: {built:.1f} s; start SuperLink + SuperNodes: {started:.1f} s")
    print(f"count: federated {count_wall:.1f} s (ServerApp {counts.seconds:.1f} s) vs central "
          f"{central_count:.2f} s; released cells equal central: {same} "
          f"({len(released)} released, {hidden} more hidden than central)")  # fmt: skip
    print(f"training ({args.rounds} FedAvg rounds): federated {train_wall:.1f} s vs central "
          f"{cmp.central_seconds:.2f} s — ratio {train_wall / cmp.central_seconds:.0f}x")  # fmt: skip
    print(f"pooled held-out AUROC ({cmp.held_out_rows} landmarks): federated "
          f"{cmp.federated_auroc:.4f}, central {cmp.central_auroc:.4f}, "
          f"difference {cmp.difference:.4f} (goal < 0.01)")  # fmt: skip
    print("round  kind      seconds  bytes sent  bytes received")
    for r in [*counts.rounds, *model.rounds]:
        print(f"{r['round']:>5}  {r['kind']:8}  {r['seconds']:>7.1f}  {r['bytes_sent']:>10,}"
              f"  {r['bytes_received']:>14,}")  # fmt: skip


if __name__ == "__main__":
    main()
