"""``socle audit``: verify, anchor and export the hash-chained log."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import orjson
import typer

from socle.cli.common import Home, open_node, out

app = typer.Typer(no_args_is_help=True)


@app.command("verify")
def verify(
    home: Home = None,
    head: Annotated[str | None, typer.Option(help="Anchored head hash to compare with")] = None,
) -> None:
    """Check the hash chain end to end; names the first bad event."""
    with open_node(home) as node:
        v = node.audit.verify(expected_head=head)
    out.print(f"audit log verified: {v.events} events, head {v.head_hash}")


@app.command("head")
def head(home: Home = None) -> None:
    """Print the head (sequence, hash) to anchor elsewhere, so truncation is detected."""
    with open_node(home) as node:
        seq, digest = node.audit.head()
    out.print(orjson.dumps({"seq": seq, "hash": digest}).decode())


@app.command("export")
def export(path: Path, home: Home = None) -> None:
    """Export every event as JSON Lines for an outside auditor."""
    with open_node(home) as node:
        n = node.audit.export_jsonl(path)
    out.print(f"{n} events written to {path}")
