"""``socle college``: the college of human guarantee — members, reviews, decisions, alerts."""

from __future__ import annotations

from typing import Annotated

import typer

from socle.cli.common import Actor, Home, open_node, out

app = typer.Typer(no_args_is_help=True)


@app.command("appoint")
def appoint(
    name: str,
    expertise: Annotated[str, typer.Option()],
    home: Home = None,
    actor: Actor = "administrator",
) -> None:
    """Appoint a member of the college."""
    with open_node(home) as node:
        member = node.college.appoint(name, expertise=expertise, actor=actor)
    out.print(f"{member.name} appointed ({member.expertise})")


@app.command("monitor")
def monitor(model_id: str, home: Home = None, actor: Actor = "college") -> None:
    """Drift, overrides and calibration in practice; raises the policy's alerts."""
    with open_node(home) as node:
        r = node.monitoring.report(model_id, actor=actor, role="college_member")
    out.print(f"{r.predictions} predictions, {r.decided} decided")
    for name, d in r.input_drift.items():
        out.print(
            f"  input {name:<14} PSI {d['psi']:.3f}  KS {d['ks']:.3f}  missing {d['missing']:.0%}"
        )
    if r.prediction_drift:
        out.print(f"  scores          PSI {r.prediction_drift['psi']:.3f}")
    out.print(f"  override rates: {r.overrides}")
    out.print(f"  calibration in practice: {r.calibration or 'not enough outcomes'}")
    for note in r.notes:
        out.print(f"  [dim]{note}[/]")
    for a in r.alerts:
        out.print(f"[red]alert[/] {a.id} {a.kind} ({a.subject}): {a.message}")


@app.command("review")
def review(
    model_id: str,
    sample: Annotated[int | None, typer.Option(help="cases drawn at random")] = None,
    seed: Annotated[int | None, typer.Option()] = None,
    home: Home = None,
    actor: Actor = "college",
) -> None:
    """Write the periodic review report (HTML, print-ready, and JSON)."""
    with open_node(home) as node:
        html, data_path, _ = node.college.review(
            model_id, node.reports / "college", actor=actor, sample_size=sample, seed=seed
        )
    out.print(f"review: {html}  (data: {data_path})", soft_wrap=True)


@app.command("decide")
def decide(
    model_id: str,
    decision: Annotated[str, typer.Option(help="deploy, keep, retrain, restrict, suspend, retire")],
    reason: Annotated[str, typer.Option()],
    care_context: Annotated[
        list[str] | None, typer.Option(help="care contexts kept by a restriction (repeatable)")
    ] = None,
    home: Home = None,
    actor: Actor = "college",
) -> None:
    """Record a decision of an appointed member on a model."""
    with open_node(home) as node:
        d = node.college.decide(
            model_id, decision,  # type: ignore[arg-type]
            actor=actor, reason=reason,
            care_contexts=tuple(care_context) if care_context else None,
        )  # fmt: skip
        info = node.models.info(model_id)
    out.print(f"{d.id}: {d.decision} — model {info.id} is {info.stage}")
