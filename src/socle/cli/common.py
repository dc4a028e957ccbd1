"""What every CLI module shares: consoles, common options, opening a node.

The command modules import the contexts inside each command, never at the top: ``socle
--help`` and every command start without loading DuckDB, SQLAlchemy, FastAPI or scikit-learn
(``tests/unit/test_cli_imports.py`` guards it).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from socle.errors import InputError

if TYPE_CHECKING:
    from socle.node import Node

# A message line is never cut: people copy paths and ids from it (tables still fit the terminal).
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

Home = Annotated[
    Path | None, typer.Option("--home", help="Node home (default: $SOCLE_HOME or ./socle-home)")
]
Actor = Annotated[str, typer.Option("--actor", help="Who acts (recorded in the audit log)")]


@contextmanager
def open_node(home: Path | None) -> Iterator[Node]:
    from socle.config import Settings
    from socle.node import Node

    node = Node.open(Settings(home=home) if home else Settings())
    try:
        yield node
    finally:
        node.close()


def parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise InputError(f"'{text}' is not a date; use YYYY-MM-DD") from exc
