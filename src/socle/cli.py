"""The ``socle`` command: each lifecycle step, and the whole demo.

Handlers parse options, call one service, and print the result. A
:class:`~socle.errors.SocleError` is printed without a traceback and the
command exits with the error's code.
"""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from socle.config import Settings
from socle.errors import InputError, SocleError
from socle.node import Node

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
consent_app = typer.Typer(no_args_is_help=True, help="Record and read patients' consent.")
request_app = typer.Typer(no_args_is_help=True, help="Access requests, decisions and grants.")
guarantee_app = typer.Typer(no_args_is_help=True, help="Predictions under human guarantee.")
audit_app = typer.Typer(no_args_is_help=True, help="Verify and export the audit log.")
app.add_typer(consent_app, name="consent")
app.add_typer(request_app, name="request")
app.add_typer(guarantee_app, name="guarantee")
app.add_typer(audit_app, name="audit")

out = Console()
err = Console(stderr=True)

Home = Annotated[Path | None, typer.Option("--home", help="Node home (default: $SOCLE_HOME or ./socle-home)")]
Actor = Annotated[str, typer.Option("--actor", help="Who acts (recorded in the audit log)")]


def _node(home: Path | None) -> Node:
    settings = Settings(home=home) if home else Settings()
    return Node.open(settings)


@app.command()
def demo(
    home: Home = None,
    sample: Annotated[Path, typer.Option(help="FHIR input of the demo")] = Path("data/sample"),
) -> None:
    """Run the whole lifecycle on the bundled Synthea sample."""
    from socle.demo import run_demo

    node = _node(home)
    try:
        run = run_demo(node, sample, report=lambda r: out.print(f"[bold green]✓ {r.step}[/] {r.summary}"))
    finally:
        node.close()
    table = Table(title="Socle demo — what was done")
    table.add_column("step")
    table.add_column("result")
    table.add_column("reports")
    for r in run.results:
        table.add_row(r.step, r.summary, "\n".join(str(p) for p in r.paths))
    out.print(table)


@app.command("ingest")
def ingest_cmd(path: Path, home: Home = None, actor: Actor = "steward") -> None:
    """Load FHIR R4 bundles or NDJSON (files or a directory, .gz allowed) into the warehouse."""
    node = _node(home)
    try:
        with Progress(
            TextColumn("loading"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[resources]} resources"), TimeElapsedColumn(), console=err,
        ) as bar:  # fmt: skip
            from socle.ingest.reader import input_files

            task = bar.add_task("files", total=len(input_files(path)), resources=0)

            def advance(_: Path, n: int) -> None:
                bar.update(task, advance=1, resources=bar.tasks[task].fields["resources"] + n)

            summary = node.load(path, actor=actor, on_file=advance)
    finally:
        node.close()
    table = Table(title=f"load {summary.load_id}: read = loaded + quarantined + skipped")
    for col in ("resource type", "read", "loaded", "quarantined", "skipped"):
        table.add_column(col, justify="right" if col != "resource type" else "left")
    for kind in sorted(summary.read):
        table.add_row(
            kind, *(str(c[kind]) for c in (summary.read, summary.loaded, summary.quarantined, summary.skipped))
        )
    t = summary.totals()
    table.add_row("total", str(t["read"]), str(t["loaded"]), str(t["quarantined"]), str(t["skipped"]))
    out.print(table)
    for q in summary.quarantine[:20]:
        out.print(f"[yellow]quarantined[/] {q.file} #{q.position} ({q.resource_type}): {q.reason}")
    if len(summary.quarantine) > 20:
        out.print(f"… and {len(summary.quarantine) - 20} more in the warehouse quarantine table")


@app.command()
def quality(home: Home = None, actor: Actor = "steward") -> None:
    """Write the data-quality report (HTML with plots, and JSON)."""
    node = _node(home)
    try:
        report = node.quality_report(actor=actor)
    finally:
        node.close()
    out.print(f"quality report: {report.html_path}  (summary: {report.json_path})")
    for check, n in report.implausible.items():
        out.print(f"  {check}: {n}")


@app.command()
def catalog(
    title: Annotated[str, typer.Option()],
    description: Annotated[str, typer.Option()],
    publisher: Annotated[str, typer.Option()] = "Socle node",
    home: Home = None,
    actor: Actor = "steward",
) -> None:
    """Register the warehouse as a catalogue dataset with its variable dictionary."""
    node = _node(home)
    try:
        ds = node.catalog.register(
            node.warehouse, title=title, description=description, publisher=publisher, actor=actor
        )
    finally:
        node.close()
    out.print(f"dataset {ds.id}: {ds.population or '<10'} persons, {len(ds.variables)} variables")


@consent_app.command("object")
def consent_object(
    patient: Annotated[str, typer.Option(help="The patient's source id (matched through the vault)")],
    purpose: Annotated[str, typer.Option()],
    channel: Annotated[str, typer.Option()] = "portal",
    effective: Annotated[str | None, typer.Option(help="YYYY-MM-DD, default today")] = None,
    home: Home = None,
    actor: Actor = "steward",
) -> None:
    """Record a patient's objection to a purpose."""
    from socle.consent import ConsentEvent

    when = _date(effective) if effective else datetime.now(UTC).date()
    node = _node(home)
    try:
        person = node.person_id(patient)
        node.consent.record(
            [ConsentEvent(person, purpose, "objection", when, channel, actor)],  # type: ignore[arg-type]
            actor=actor,
            role="data_steward",
        )
    finally:
        node.close()
    out.print(f"objection to '{purpose}' recorded, effective {when}")


@request_app.command("show")
def request_show(request_id: str, home: Home = None) -> None:
    """Show a request and its state."""
    node = _node(home)
    try:
        req, state = node.governance.request(request_id)
    finally:
        node.close()
    out.print(f"{request_id} [{state}] {req.title} — purpose {req.purpose}, sponsor {req.sponsor}")


@guarantee_app.command("decide")
def guarantee_decide(
    prediction_id: str,
    decision: Annotated[str, typer.Option(help="accepted, amended or rejected")],
    reason: Annotated[str, typer.Option()],
    amended_score: Annotated[float | None, typer.Option()] = None,
    home: Home = None,
    actor: Actor = "clinician",
) -> None:
    """Record a clinician's decision on a pending prediction."""
    node = _node(home)
    try:
        p = node.guarantee.decide(
            prediction_id, decision, clinician=actor, reason=reason, amended_score=amended_score  # type: ignore[arg-type]
        )
    finally:
        node.close()
    out.print(f"{p.id}: {p.status} by {p.decided_by}")


@guarantee_app.command("report")
def guarantee_report(home: Home = None) -> None:
    """Predictions by status; pending ones are not yet under human guarantee."""
    node = _node(home)
    try:
        out.print(node.guarantee.status_report())
    finally:
        node.close()


@audit_app.command("verify")
def audit_verify(
    home: Home = None,
    head: Annotated[str | None, typer.Option(help="Anchored head hash to compare with")] = None,
) -> None:
    """Check the hash chain end to end; names the first bad event."""
    node = _node(home)
    try:
        v = node.audit.verify(expected_head=head)
    finally:
        node.close()
    out.print(f"audit log verified: {v.events} events, head {v.head_hash}")


@audit_app.command("head")
def audit_head(home: Home = None) -> None:
    """Print the head (sequence, hash) to anchor elsewhere, so truncation is detected."""
    node = _node(home)
    try:
        seq, digest = node.audit.head()
    finally:
        node.close()
    out.print(orjson.dumps({"seq": seq, "hash": digest}).decode())


@audit_app.command("export")
def audit_export(path: Path, home: Home = None) -> None:
    """Export every event as JSON Lines for an outside auditor."""
    node = _node(home)
    try:
        n = node.audit.export_jsonl(path)
    finally:
        node.close()
    out.print(f"{n} events written to {path}")


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise InputError(f"'{text}' is not a date; use YYYY-MM-DD") from exc


def main() -> None:
    """Entry point: user errors are printed plainly, with the error's exit code."""
    try:
        app(standalone_mode=False)
    except SocleError as exc:
        err.print(f"[bold red]error:[/] {exc.message}")
        sys.exit(exc.exit_code)
    except typer.Abort:
        err.print("aborted")
        sys.exit(130)
    except Exception as exc:  # click usage errors
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise
