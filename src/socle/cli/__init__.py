"""The ``socle`` command: each lifecycle step as a sub-command, and the whole demo.

Handlers parse options, call one service, and print the result. A
:class:`~socle.errors.SocleError` is printed without a traceback and the
command exits with the error's code. One module per context adds its commands.
"""

from __future__ import annotations

import sys

import click
import typer

from socle.cli import (
    audit,
    catalog,
    consent,
    guarantee,
    lifecycle,
    request,
    warehouse,
    workspace,
)
from socle.cli import serve as serve_cli
from socle.cli.common import err
from socle.errors import SocleError

app = typer.Typer(
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
app.add_typer(
    workspace.app, name="workspace", help="Queries and cohorts on a grant's views; releases."
)
app.add_typer(workspace.jobs, name="job", help="Sandboxed jobs on a grant's extract.")


def main() -> None:
    """Entry point: user errors are printed plainly, with the error's exit code."""
    try:
        code = app(standalone_mode=False)  # returns the code of a typer.Exit
    except SocleError as exc:
        err.print(f"[bold red]error:[/] {exc.message}", highlight=False)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        err.print("aborted")
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    sys.exit(code if isinstance(code, int) else 0)
