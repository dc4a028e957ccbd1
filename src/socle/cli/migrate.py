"""``socle migrate``: the governance store's schema revision, upgrade and downgrade.

A node upgrades its store when it starts; these commands let an operator do it
beforehand (with a backup at hand), see where a store stands, or step back.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from socle.cli.common import Home, out

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from socle.config import Settings

app = typer.Typer(no_args_is_help=True)


def _settings(home: Path | None) -> Settings:
    from socle.config import Settings

    settings = Settings(home=home) if home else Settings()
    settings.ensure_dirs()
    return settings


def _engine(home: Path | None) -> Engine:
    """The store's engine, left at whatever revision it is (no automatic upgrade)."""
    from socle.store import open_engine

    return open_engine(_settings(home).governance_db_url, pool_size=1, max_overflow=0)


@app.command()
def current(home: Home = None) -> None:
    """Show the store's revision and the newest this version knows."""
    from socle import migrations

    engine = _engine(home)
    try:
        at, newest = migrations.current(engine), migrations.head()
    finally:
        engine.dispose()
    state = (
        "up to date" if at == newest else f"behind: `socle migrate upgrade` moves it to {newest}"
    )
    out.print(f"store revision: {at or 'none (empty, or from before migrations)'} — {state}")


@app.command()
def upgrade(home: Home = None) -> None:
    """Bring the store to the newest revision, converting its data (nodes also do it at start)."""
    from socle import migrations
    from socle.node import open_store

    engine = open_store(_settings(home), report=out.print)
    try:
        out.print(f"store revision: {migrations.current(engine)} (newest)")
    finally:
        engine.dispose()


@app.command()
def downgrade(
    revision: Annotated[str, typer.Argument(help="The revision to go back to, e.g. 0001")],
    home: Home = None,
) -> None:
    """Move the store back to an older revision, converting its data back."""
    from socle import migrations

    engine = _engine(home)
    try:
        reached = migrations.downgrade(engine, revision)
    finally:
        engine.dispose()
    out.print(f"store revision: {reached}")
