"""``socle consent``: the steward's consent commands."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from socle.cli.common import Actor, Home, open_node, out, parse_date
from socle.consent import ConsentEvent

app = typer.Typer(no_args_is_help=True)


@app.command("object")
def object_(
    patient: Annotated[str, typer.Option(help="The patient's source id (matched via the vault)")],
    purpose: Annotated[str, typer.Option()],
    channel: Annotated[str, typer.Option()] = "paper_form",
    effective: Annotated[str | None, typer.Option(help="YYYY-MM-DD, default today")] = None,
    home: Home = None,
    actor: Actor = "steward",
) -> None:
    """Record a patient's objection to a purpose."""
    when = parse_date(effective) if effective else datetime.now(UTC).date()
    with open_node(home) as node:
        person = node.person_id(patient)
        event = ConsentEvent(person, purpose, "objection", when, channel, actor)  # type: ignore[arg-type]
        node.consent.record([event], actor=actor, role="data_steward")
    out.print(f"objection to '{purpose}' recorded, effective {when}")


@app.command("state")
def state(
    patient: Annotated[str, typer.Option(help="The patient's source id (matched via the vault)")],
    home: Home = None,
) -> None:
    """Show a patient's current choice for every purpose."""
    today = datetime.now(UTC).date()
    with open_node(home) as node:
        person = node.person_id(patient)
        for code, purpose in node.taxonomy.purposes.items():
            allowed = node.consent.state(person, code, today)
            out.print(f"{code:24} {purpose.rule:8} {'included' if allowed else 'excluded'}")
