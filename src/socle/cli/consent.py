"""``socle consent``: the steward's consent commands (patients named by source id)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import orjson
import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from socle.cli.common import Actor, Home, open_node, out, parse_date
from socle.roles import Role

if TYPE_CHECKING:
    from socle.consent import ConsentService

app = typer.Typer(no_args_is_help=True)

Patient = Annotated[str, typer.Option(help="The patient's source id (matched via the vault)")]
Purposes = Annotated[list[str], typer.Option("--purpose", help="A purpose code (repeatable)")]
Effective = Annotated[str | None, typer.Option(help="YYYY-MM-DD, default today")]
Channel = Annotated[str, typer.Option(help="portal, paper_form, fhir_import or registry_sync")]


@contextmanager
def consent_service(home: Path | None) -> Iterator[ConsentService]:
    """The node's consent service (patients named by source id), closed with the node."""
    with open_node(home) as node:
        yield node.consents


@app.command("purposes")
def purposes(home: Home = None) -> None:
    """List the published taxonomy of purposes and their rules."""
    with consent_service(home) as service:
        rows = service.purposes()
    for p in rows:
        out.print(f"{p.code:24} {p.rule:8} {p.title}", highlight=False)


def _record(
    kind: str, patient: str, purpose: list[str], channel: str, effective: str | None,
    home: Path | None, actor: str,
) -> None:  # fmt: skip
    when = parse_date(effective) if effective else None
    with consent_service(home) as service:
        events = service.record_choice(
            patient, purpose, kind, channel=channel, actor=actor, role=Role.DATA_STEWARD,
            effective=when,
        )  # fmt: skip
    for e in events:
        out.print(f"{e.kind} for '{e.purpose}' recorded, effective {e.effective}")


# The four choices a steward records from a paper form: command -> (event kind, help).
CHOICES = {
    "object": ("objection", "Record a patient's objection to one or more (opt-out) purposes."),
    "withdraw-objection": ("withdraw_objection", "Record the withdrawal of a patient's objection."),
    "opt-in": (
        "opt_in",
        "Record a patient's explicit agreement to one or more (opt-in) purposes.",
    ),
    "withdraw-opt-in": ("withdraw_opt_in", "Record the withdrawal of a patient's opt-in."),
}


def _choice_command(kind: str, help_text: str) -> Callable[..., None]:
    def command(
        patient: Patient, purpose: Purposes, channel: Channel = "paper_form",
        effective: Effective = None, home: Home = None, actor: Actor = "steward",
    ) -> None:  # fmt: skip
        _record(kind, patient, purpose, channel, effective, home, actor)

    command.__doc__ = help_text
    return command


for _name, (_kind, _help) in CHOICES.items():
    app.command(_name)(_choice_command(_kind, _help))


@app.command("state")
def state(patient: Patient, home: Home = None) -> None:
    """Show a patient's current choice for every purpose."""
    with consent_service(home) as service:
        rows = service.choices(patient)
    for c in rows:
        since = f"since {c.since} ({c.channel})" if c.since else "(default)"
        out.print(
            f"{c.purpose:24} {c.rule:8} {'included' if c.included else 'excluded':9} {since}",
            highlight=False,
        )


@app.command("history")
def history(patient: Patient, home: Home = None) -> None:
    """Show every consent event of a patient, in the order they take effect."""
    with consent_service(home) as service:
        events = service.history(patient)
    if not events:
        out.print("no consent event: every purpose is at its default")
    for e in events:
        out.print(
            f"{e.effective}  {e.kind:18} {e.purpose:22} via {e.channel:13} by {e.recorded_by} "
            f"(recorded {e.recorded_at})",
            highlight=False,
        )


@app.command("projects")
def projects(patient: Patient, home: Home = None) -> None:
    """List every project that used the patient's data while their choices allowed it."""
    with consent_service(home) as service:
        uses = service.projects(patient)
    table = Table("project", "sponsor", "purpose", "from", "to", "outputs")
    for u in uses:
        table.add_row(
            u.title, u.sponsor, u.purpose, str(u.first_used), str(u.last_used),
            ", ".join(u.output_types),
        )  # fmt: skip
    out.print(table if uses else "no project has used this patient's data")


@app.command("import")
def import_(
    path: Annotated[Path, typer.Argument(help="FHIR Consent, Bundle (.json) or .ndjson")],
    home: Home = None,
    actor: Actor = "steward",
) -> None:
    """Record the FHIR R4 Consent resources of a file, all or nothing."""
    with consent_service(home) as service:
        summary = service.import_fhir(path, actor=actor)
    out.print(
        f"{summary.consents} Consent resources: {summary.events} events for "
        f"{summary.persons} patients recorded"
    )


@app.command("export")
def export(
    patient: Patient,
    output: Annotated[Path, typer.Option("--out", help="Where to write the FHIR Bundle")],
    home: Home = None,
) -> None:
    """Write a patient's history as a FHIR R4 Bundle of Consent resources."""
    with consent_service(home) as service:
        bundle = service.export_fhir(patient)
    output.write_bytes(orjson.dumps(bundle, option=orjson.OPT_INDENT_2))
    out.print(f"{len(bundle['entry'])} Consent resources written to {output}")


@app.command("bulk")
def bulk(
    path: Annotated[Path, typer.Argument(help="CSV with a 'patient' column (source ids)")],
    purpose: Purposes,
    kind: Annotated[str, typer.Option(help="Event kind when the file has no 'kind' column")] = (
        "objection"
    ),
    channel: Channel = "registry_sync",
    effective: Effective = None,
    home: Home = None,
    actor: Actor = "steward",
) -> None:
    """Load or update choices for many patients at once (one transaction), with progress."""
    when = parse_date(effective) if effective else None
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with consent_service(home) as service, Progress(*columns, console=out, transient=False) as bar:
        tasks: dict[str, TaskID] = {}

        def progress(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = bar.add_task(phase, total=total)
            bar.update(tasks[phase], completed=done)

        n = service.bulk_load(
            path, purposes=purpose, kind=kind, effective=when, channel=channel, actor=actor,
            on_progress=progress,
        )  # fmt: skip
    out.print(f"{n} consent events recorded")


@app.command("impact")
def impact(home: Home = None, actor: Actor = "steward") -> None:
    """Report outputs already released for patients who have since been excluded."""
    with consent_service(home) as service:
        report = service.impact_report(actor=actor)
    if not report:
        out.print("no released output is impacted by a later objection")
    for p in report:
        out.print(
            f"[bold]{p.title}[/] ({p.sponsor}) grant {p.grant_id}, purpose {p.purpose}: "
            f"{p.persons} patients since excluded"
        )
        for o in p.outputs:
            out.print(f"  {o.on}  {o.output_type:15} {o.id}  ({o.excluded_since} since excluded)")
