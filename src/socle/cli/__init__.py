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

from socle.cli import (
    audit,
    catalog,
    college,
    consent,
    federation,
    guarantee,
    lifecycle,
    migrate,
    model,
    observatory,
    release,
    request,
    warehouse,
    workspace,
)
from socle.cli import serve as serve_cli
from socle.cli.common import err
from socle.errors import SocleError, crash_place


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
    # Never a pretty traceback: it prints local variables, which may hold patient data.
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,
    help="Socle: a platform of trust for health data and AI. Run `socle demo` for the whole lifecycle.",
)
lifecycle.register(app)
serve_cli.register(app)
app.add_typer(consent.app, name="consent", help="Record and read patients' consent.")
app.add_typer(request.app, name="request", help="Access requests, decisions and grants.")
app.add_typer(guarantee.app, name="guarantee", help="Predictions under human guarantee.")
app.add_typer(
    model.app,
    name="model",
    help="Model definitions, training, registry stages, lineage, documents.",
)
app.add_typer(
    college.app, name="college", help="The college of human guarantee: reviews, decisions, alerts."
)
app.add_typer(audit.app, name="audit", help="Verify and export the audit log.")
app.add_typer(catalog.app, name="catalog", help="The catalogue: datasets, search, DCAT, counts.")
app.add_typer(
    warehouse.app, name="warehouse", help="Vocabularies, pseudonym-key rotation, Parquet export."
)
app.add_typer(release.app, name="release", help="Output checks, the release desk, the ledger, DP.")
app.add_typer(
    observatory.app, name="observatory", help="The observatory of AI tools and databases."
)
app.add_typer(
    workspace.app, name="workspace", help="Queries and cohorts on a grant's views; releases."
)
app.add_typer(
    federation.app, name="federation", help="A hub (SuperLink) or a site (SuperNode) on Flower."
)
app.add_typer(workspace.jobs, name="job", help="Sandboxed jobs on a grant's extract.")
app.add_typer(migrate.app, name="migrate", help="The governance store's schema: revision, upgrade.")


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
    except Exception as exc:  # the last guard: type and place, never the message
        err.print(f"[bold red]unexpected error:[/] {describe_crash(exc)}", highlight=False)
        sys.exit(UNEXPECTED_EXIT)
    sys.exit(code if isinstance(code, int) else 0)


UNEXPECTED_EXIT = 70  # EX_SOFTWARE


def describe_crash(exc: BaseException) -> str:
    """An unexpected error's type and place: its message and locals may quote patient data."""
    return (
        f"{type(exc).__name__} at {crash_place(exc)}. Its message is not shown (it may quote "
        "data); report the type and place to the operators"
    )
