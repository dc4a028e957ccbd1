"""``socle demo --federated``: a hub and three sites on loopback splitting the bundled sample,
a federated count and a federated training, each beside the central figure."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from socle.config import Settings
from socle.federation.compare import compare_model
from socle.federation.local import build_network, committee_grant
from socle.federation.studies import FEDERATION_ACTOR
from socle.node import Node

CONDITION = "SNOMED|73595000"  # stress (finding), the single-node demo's condition
SINUSITIS = 4283893  # a standard concept with descendants (acute, chronic…) in the vocabulary
RESEARCHER = "investigator@hub"
# The bundled sample has 50 persons: a third of it is below the default training minimums
# (10 persons, 10 events), so the demo's sites lower them; a real site keeps its own.
DEMO_SITE_ENV = {"SOCLE_MIN_TRAINING_PERSONS": "5", "SOCLE_MIN_TRAINING_EVENTS": "2"}


def run_federated_demo(
    folder: Path, sample: Path, say: Callable[[str], None], *, rounds: int | None = None
) -> dict[str, object]:
    """Build, start, query, train, compare; stop the network whatever happens."""
    started = time.monotonic()
    say("building the hub and three sites (each loads its third of the sample) …")
    keys = folder / "shared-keys"  # one data set split: same pseudonyms at every site and centrally
    from socle.demo import bundled_vocabulary

    net = build_network(
        folder / "network", sample, progress=say, site_env=DEMO_SITE_ENV, shared_keys=keys,
        vocabulary=bundled_vocabulary(),
    )  # fmt: skip
    central = Node.open(Settings(home=folder / "central", keys_dir=keys))
    try:
        central.load(sample, actor="steward@central")
        central_grant = committee_grant(
            central, "central", FEDERATION_ACTOR, "The study, centrally"
        )
        say(f"study {net.study.id} approved by the hub's committee and accepted by every site")
        net.start()
        say(f"SuperLink on https://{net.hub.address} (TLS, node authentication); "
            f"{len(net.sites)} SuperNodes joined")  # fmt: skip
        hub = net.open_hub()
        try:
            # One study session: one Flower run for the count and the training.
            with net.federation(hub).session(net.study.id, actor=RESEARCHER) as fed:
                # SecAgg+: the sites' exact counts, masked; the hub checks only the totals.
                counts = fed.count(net.study.id, CONDITION, actor=RESEARCHER, secure=True)
                report = central.workspace.check_condition_counts(
                    central_grant, CONDITION, ("age_band", "sex"), actor=FEDERATION_ACTOR
                )
                central_cells = {tuple(r[:-1]): r[-1] for r in report.rows}
                shown = [(r[:-1], r[-1], central_cells.get(tuple(r[:-1]))) for r in counts.rows]
                released = [s for s in shown if s[1] is not None or s[2] is not None]
                say(f"federated count of {CONDITION} by SecAgg+ in {counts.seconds:.0f} s "
                    f"(cells released by the network vs central, after the same checks):")  # fmt: skip
                for dims, fed_value, central_value in released:
                    say(f"   {' / '.join(map(str, dims)):12} network {_cell(fed_value):>10}   "
                        f"central {_cell(central_value):>10}")  # fmt: skip
                t0 = time.monotonic()
                # By SecAgg+: a site's ~10 persons would be suppressed at the site; the exact
                # total is checked at the hub as a central node checks its own.
                feasible = fed.feasibility(net.study.id, SINUSITIS, actor=RESEARCHER, secure=True)
                say(f"feasibility: persons with sinusitis (concept {SINUSITIS} and its "
                    f"descendants) across the network, by SecAgg+: {_cell(feasible)} "
                    f"({time.monotonic() - t0:.1f} s)")  # fmt: skip
                model = fed.train(net.study.id, actor=RESEARCHER, rounds=rounds)
            stage = hub.models.info(model.id).stage
            comparison = compare_model(central, central_grant, model)
        finally:
            hub.close()
    finally:
        net.stop()
        central.close()
    per_round = [r["bytes_sent"] + r["bytes_received"] for r in model.rounds]
    exact = model.lineage.get("newton") or {}
    how = (f"FedAvg then {exact['rounds']} federated Newton rounds "
           f"({'converged' if exact['converged'] else 'not converged'}, largest gradient "
           f"component {exact['gradient_norm']:.0e})" if exact else "FedAvg")  # fmt: skip
    say(f"federated training {model.id}: {how}, {len(model.rounds)} rounds in {model.seconds:.0f} s, "
        f"{max(per_round):,} bytes per round at most; lineage: study {model.lineage['study']}, "
        f"sites {', '.join(f'{s} ({g})' for s, g in model.lineage['sites'].items())}")  # fmt: skip
    say(
        f"   in the hub's model registry ({stage}): `socle audit trace {model.id}` reaches the "
        "hub committee's decision"
    )
    for site, metrics in model.metrics.items():
        say(f"   {site}: held-out AUROC {_cell(metrics['auroc'])}"
            + (f" (withheld by {', '.join(metrics['withheld_by'])})" if metrics["withheld_by"] else ""))  # fmt: skip
    say(f"pooled held-out AUROC: federated {comparison.federated_auroc:.3f}, central "
        f"{comparison.central_auroc:.3f} (difference {comparison.difference:.3f}) on "
        f"{comparison.held_out_rows} landmarks")  # fmt: skip
    for name in net.site_names:
        node = net.open_site(name)
        try:
            answers = [
                e for e in node.audit.events("federation.answer") if e.object == net.study.id
            ]
        finally:
            node.close()
        say(f"   audit of {name}: {len(answers)} answers to study {net.study.id}")
    say(f"done in {time.monotonic() - started:.0f} s")
    return {"counts": counts, "model": model, "comparison": comparison}


def _cell(value: object) -> str:
    return "suppressed" if value is None else str(value)
