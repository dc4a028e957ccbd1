"""``socle request``: follow an access request."""

from __future__ import annotations

import typer

from socle.cli.common import Home, open_node, out

app = typer.Typer(no_args_is_help=True)


@app.command("show")
def show(request_id: str, home: Home = None) -> None:
    """Show a request and its state."""
    with open_node(home) as node:
        req, state = node.governance.request(request_id)
    out.print(f"{request_id} [{state}] {req.title} — purpose {req.purpose}, sponsor {req.sponsor}")
