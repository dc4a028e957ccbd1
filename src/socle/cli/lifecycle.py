"""Top-level commands: demo, ingest, quality."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from socle.cli.common import Actor, Home, err, open_node, out

if TYPE_CHECKING:
    from socle.ingest import LoadSummary

QUARANTINE_EXIT = 3  # loaded, but some resources were quarantined


def demo(
    home: Home = None,
    sample: Annotated[
        Path | None, typer.Option(help="FHIR input of the demo (default: the bundled sample)")
    ] = None,
    fda_list: Annotated[
        Path | None,
        typer.Option(
            help="FDA list of AI-enabled devices for the observatory step (default: bundled)"
        ),
    ] = None,
    vocabulary: Annotated[
        Path | None,
        typer.Option(help="OMOP vocabulary of the demo (default: the bundled extract)"),
    ] = None,
    federated: Annotated[
        bool, typer.Option(help="A hub and three sites on loopback instead (Flower)")
    ] = False,
) -> None:
    """Run the whole lifecycle on the bundled Synthea sample."""
    from socle.demo import bundled_fda_list, bundled_sample, bundled_vocabulary, run_demo

    if federated:
        from socle.config import Settings
        from socle.federation import run_federated_demo

        folder = (home or Settings().home) / "federated-demo"
        run_federated_demo(folder, sample or bundled_sample(), lambda s: out.print(escape(s)))
        return

    with open_node(home) as node:
        run = run_demo(
            node, sample or bundled_sample(), fda_list=fda_list or bundled_fda_list(),
            report=lambda r: out.print(f"[bold green]✓ {r.step}[/] {escape(r.summary)}"),
            vocabulary=vocabulary or bundled_vocabulary(),
        )  # fmt: skip
    table = Table(title="Socle demo — what was done")
    for col in ("step", "result", "reports"):
        table.add_column(col)
    for r in run.results:
        table.add_row(r.step, escape(r.summary), "\n".join(str(p) for p in r.paths))
    out.print(table)


def ingest(path: Path, home: Home = None, actor: Actor = "steward") -> None:
    """Load FHIR R4 bundles or NDJSON (a file or a directory, .gz allowed) into the warehouse."""
    from socle.ingest import input_files

    files = input_files(path)
    with open_node(home) as node, Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
        TextColumn("{task.fields[resources]:,} resources"), TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(), console=err,
    ) as bar:  # fmt: skip
        task = bar.add_task("loading", total=len(files), resources=0, rate="")
        notes = bar.add_task(
            "de-identifying notes", total=None, resources=0, rate="", visible=False
        )

        def advance(_: Path, n: int) -> None:
            done = bar.tasks[task].fields["resources"] + n
            elapsed = bar.tasks[task].elapsed or 0.0
            rate = f"{done / elapsed:,.0f} resources/s" if elapsed > 0 else ""
            bar.update(task, advance=1, resources=done, rate=rate)

        def note(done: int, total: int) -> None:
            elapsed = bar.tasks[notes].elapsed or 0.0
            rate = f"{done / elapsed:,.0f} notes/s" if elapsed > 0 else ""
            bar.update(notes, total=total, completed=done, visible=True, rate=rate)

        summary = node.load(path, actor=actor, on_file=advance, on_note=note)
    _print_summary(summary)
    if summary.quarantine:
        err.print(
            f"[yellow]{len(summary.quarantine)} resources quarantined[/]; the rest is loaded. "
            "Fix them at the source and re-run: the load is idempotent."
        )
        raise typer.Exit(QUARANTINE_EXIT)


def _print_summary(summary: LoadSummary) -> None:
    table = Table(title=f"load {summary.load_id}: read = loaded + quarantined + skipped")
    table.add_column("resource type")
    for col in ("read", "loaded", "quarantined", "skipped"):
        table.add_column(col, justify="right")
    counters = (summary.read, summary.loaded, summary.quarantined, summary.skipped)
    for kind in sorted(summary.read):
        table.add_row(kind, *(str(c[kind]) for c in counters))
    table.add_row("total", *(str(v) for v in summary.totals().values()))
    out.print(table)
    for q in summary.quarantine[:20]:
        out.print(f"[yellow]quarantined[/] {q.file} #{q.position} ({q.resource_type}): {q.reason}")
    if len(summary.quarantine) > 20:
        out.print(f"… and {len(summary.quarantine) - 20} more in the warehouse quarantine table")


quality_app = typer.Typer(invoke_without_command=True)


@quality_app.callback()
def quality(ctx: typer.Context, home: Home = None, actor: Actor = "steward") -> None:
    """Write the data-quality report (HTML with plots, and JSON); `achilles` runs OHDSI Achilles."""
    if ctx.invoked_subcommand is not None:
        return
    with open_node(home) as node:
        report = node.quality_report(actor=actor)
    out.print(f"quality report: {report.html_path}  (summary: {report.json_path})")
    for check, n in report.implausible.items():
        out.print(f"  {check}: {n}")


@quality_app.command("achilles")
def achilles(home: Home = None, actor: Actor = "steward") -> None:
    """Run OHDSI Achilles (through duckcdm) into the warehouse's ``results`` schema."""
    with open_node(home) as node, err.status("running Achilles analyses…"):
        run = node.achilles(actor=actor)
    out.print(
        f"Achilles: {run.analyses} analyses, {len(run.failed)} failed, "
        f"{run.concepts_with_records} concepts with records ({run.seconds:.0f} s); "
        "results in the warehouse schema `results`"
    )
    for analysis, error in run.failed:
        err.print(f"[red]analysis {analysis} failed[/]: {error}")
    if run.failed:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    for command in (demo, ingest):
        app.command(command.__name__)(command)
    app.add_typer(quality_app, name="quality", help="Data-quality report and OHDSI Achilles.")
