"""The ``socle`` command: each lifecycle step as a sub-command, and the whole demo.

Handlers parse options, call one service, and print the result. A
:class:`~socle.errors.SocleError` is printed without a traceback and the
command exits with the error's code. One module per context adds its commands.
"""

from __future__ import annotations

import sys
from typing import Any

import click
import typer
from typer.core import TyperGroup

from socle.cli import audit, catalog, consent, guarantee, lifecycle, request, warehouse
from socle.cli import serve as serve_cli
from socle.cli.common import err
from socle.errors import SocleError


class SocleGroup(TyperGroup):
    """The top-level group: a :class:`SocleError` of any command is printed plainly (no
    traceback) and becomes the error's exit code, in ``main`` and under Typer's ``CliRunner``."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SocleError as exc:
            err.print(f"[bold red]error:[/] {exc.message}", highlight=False)
            raise typer.Exit(exc.exit_code) from None


app = typer.Typer(
    cls=SocleGroup,
    no_args_is_help=True,
    add_completion=False,
    help="Socle: a platform of trust for health data and AI. Run `socle demo` for the whole lifecycle.",
)
lifecycle.register(app)
serve_cli.register(app)
app.add_typer(consent.app, name="consent", help="Record and read patients' consent.")
app.add_typer(request.app, name="request", help="Access requests, decisions and grants.")
app.add_typer(guarantee.app, name="guarantee", help="Predictions under human guarantee.")
app.add_typer(audit.app, name="audit", help="Verify and export the audit log.")
app.add_typer(catalog.app, name="catalog", help="The catalogue: datasets, search, DCAT, counts.")
app.add_typer(warehouse.app, name="warehouse", help="Vocabularies and pseudonym-key rotation.")


def main(argv: list[str] | None = None) -> None:
    """Entry point: user errors are printed plainly, with the error's exit code."""
    try:
        code = app(args=argv, prog_name="socle", standalone_mode=False)  # a typer.Exit's code
    except click.exceptions.Abort:
        err.print("aborted")
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    sys.exit(code if isinstance(code, int) else 0)
