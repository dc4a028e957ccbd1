"""``socle guarantee``: clinicians' decisions and the college's status report."""

from __future__ import annotations

from typing import Annotated

import typer

from socle.cli.common import Actor, Home, open_node, out

app = typer.Typer(no_args_is_help=True)


@app.command("decide")
def decide(
    prediction_id: str,
    decision: Annotated[str, typer.Option(help="accepted, amended or rejected")],
    reason: Annotated[str, typer.Option()],
    amended_score: Annotated[float | None, typer.Option()] = None,
    home: Home = None,
    actor: Actor = "clinician",
) -> None:
    """Record a clinician's decision on a pending prediction."""
    with open_node(home) as node:
        p = node.guarantee.decide(
            prediction_id, decision,  # type: ignore[arg-type]
            clinician=actor, reason=reason, amended_score=amended_score,
        )  # fmt: skip
    out.print(f"{p.id}: {p.status} by {p.decided_by}")


@app.command("report")
def report(home: Home = None) -> None:
    """Predictions by status; pending ones are not yet under human guarantee."""
    with open_node(home) as node:
        for status, n in node.guarantee.status_report().items():
            out.print(f"{status:10} {n}")
