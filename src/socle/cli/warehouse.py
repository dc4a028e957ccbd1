"""``socle warehouse``: vocabularies and pseudonym-key rotation."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from socle.cli.common import Actor, Home, open_node, out

app = typer.Typer(no_args_is_help=True)


@app.command("load-vocabulary")
def load_vocabulary(
    folder: Annotated[Path, typer.Argument(help="Unzipped Athena export (CONCEPT.csv, ...)")],
    home: Home = None,
    actor: Actor = "steward",
) -> None:
    """Load an OHDSI Athena vocabulary and map every stored source code to standard concepts."""
    with open_node(home) as node:
        counts = node.load_vocabulary(folder, actor=actor)
    out.print(
        f"vocabulary loaded: {counts['concept']} concepts, "
        f"{counts['concept_relationship']} relationships; {counts['mapped_rows']} rows mapped"
    )


@app.command("rotate-key")
def rotate_key(
    sources: Annotated[
        list[Path], typer.Argument(help="Every FHIR input loaded into this warehouse")
    ],
    home: Home = None,
    actor: Actor = "steward",
) -> None:
    """Re-key every pseudonym (warehouse ids, person tokens, vault) to a fresh secret key."""
    with open_node(home) as node:
        summary = node.rotate_pseudonym_key(sources, actor=actor)
    out.print(
        f"pseudonym key rotated: {summary.ids} ids re-keyed from {summary.files} files, "
        f"{summary.persons} vault identities; the old key is deleted"
    )
