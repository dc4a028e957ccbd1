"""``socle workspace`` and ``socle job``: queries, cohorts and sandboxed jobs under a grant."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import orjson
import typer
from rich.table import Table

from socle.cli.common import Actor, Home, open_node, out
from socle.errors import InputError

if TYPE_CHECKING:  # the workspace context (DuckDB) loads only when a command runs
    from socle.workspace import Job, NamedResult

app = typer.Typer(no_args_is_help=True)
jobs = typer.Typer(no_args_is_help=True)

Grant = Annotated[str, typer.Option("--grant", help="The grant the work runs under")]


def _show_result(result: NamedResult) -> None:
    rows = (
        "suppressed (fewer than the threshold)"
        if result.rows_disclosed is None
        else (f"about {result.rows_disclosed}")
    )
    out.print(
        f"result [bold]{result.name}[/] ({result.id}) kept in the workspace: "
        f"columns {', '.join(result.columns)}; rows {rows}; sha256 {result.sha256[:16]}…",
        soft_wrap=True,
    )
    for note in result.notes:
        out.print(f"  note: {note}")


@app.command("query")
def query(
    sql: Annotated[str, typer.Argument(help="One SELECT on the grant's scoped_* views, or @FILE")],
    grant: Grant,
    name: Annotated[str, typer.Option("--name", help="Name the result is kept under")],
    actor: Actor,
    home: Home = None,
) -> None:
    """Check and run SQL on the grant's views; the rows stay in the workspace."""
    if sql.startswith("@"):
        sql = _read(Path(sql[1:]))
    with open_node(home) as node:
        _show_result(node.workspace.queries.run_sql(grant, name, sql, actor=actor))


@app.command("cohort")
def cohort(
    definition: Annotated[Path, typer.Argument(help="Cohort JSON: Socle's or OHDSI Circe (ATLAS)")],
    grant: Grant,
    name: Annotated[str, typer.Option("--name", help="Name the cohort is kept under")],
    actor: Actor,
    home: Home = None,
) -> None:
    """Compile a cohort definition to SQL on the grant's views and keep its members."""
    try:
        data = orjson.loads(_read(definition))
    except orjson.JSONDecodeError as exc:
        raise InputError(f"{definition.name} is not JSON: {exc}") from exc
    from socle.workspace import from_json

    parsed = from_json(data, name)
    with open_node(home) as node:
        _show_result(node.workspace.queries.run_cohort(grant, parsed, actor=actor))


def _read(path: Path) -> str:
    if not path.is_file():
        raise InputError(f"{path} does not exist")
    return path.read_text()


def _show_job(job: Job) -> None:
    out.print(
        f"{job.id}: [bold]{job.state}[/]"
        + (f" — {job.reason}" if job.reason else "")
        + f"\n  grant {job.grant_id}, by {job.actor} ({job.role}), script {job.script}"
        + f"\n  code sha256 {job.code_sha256[:16]}…, extract sha256 {job.extract_sha256[:16]}…",
        soft_wrap=True,
    )


@jobs.command("run")
def run(
    script: Annotated[Path, typer.Argument(help="The Python script to run in the sandbox")],
    grant: Grant,
    actor: Actor,
    param: Annotated[
        list[str] | None,
        typer.Option("--param", help="KEY=VALUE, given to the script (repeatable)"),
    ] = None,
    result: Annotated[
        list[str] | None, typer.Option("--result", help="A named result to add to the extract")
    ] = None,
    home: Home = None,
) -> None:
    """Run a script on an extract of the grant's data, isolated from the node.

    The command supervises the job to its end (the sandbox dies with it); `socle job cancel`
    from another terminal stops it. For a job that outlives the caller, use the API."""
    params = dict(p.split("=", 1) for p in param or [] if "=" in p)
    with open_node(home) as node:
        with out.status("extracting the grant's data and running the job in its sandbox…"):
            job = node.workspace.jobs.run(
                grant, script, actor=actor, params=params, results=tuple(result or ()),
                wait=True,
            )  # fmt: skip
        _show_job(job)
        for o in node.workspace.jobs.outputs(job.id):
            out.print(f"  {o.kind} {o.name}: {o.bytes} bytes, sha256 {o.sha256[:16]}…")
    if job.state in ("failed", "stopped"):
        raise typer.Exit(3)


@jobs.command("status")
def status(job_id: str, home: Home = None) -> None:
    """A job's state, hashes and outputs."""
    with open_node(home) as node:
        _show_job(node.workspace.jobs.job(job_id))
        table = Table("output", "kind", "bytes", "sha256")
        for o in node.workspace.jobs.outputs(job_id):
            table.add_row(o.name, o.kind, str(o.bytes), o.sha256)
        out.print(table)


@jobs.command("logs")
def logs(job_id: str, home: Home = None) -> None:
    """The framework's log of a job (the script's own stdout/stderr leave only as outputs)."""
    with open_node(home) as node:
        typer.echo(node.workspace.jobs.logs(job_id), nl=False)


@jobs.command("cancel")
def cancel(job_id: str, actor: Actor, home: Home = None) -> None:
    """Stop a running job (its supervisor kills the sandbox within a second)."""
    with open_node(home) as node:
        node.workspace.jobs.cancel(job_id, actor=actor)
        _show_job(node.workspace.jobs.wait(job_id, timeout=10))


@app.command("release-table")
def release_table(
    job_id: str,
    file: Annotated[str, typer.Option("--file", help="A CSV output of the job")],
    count: Annotated[list[str], typer.Option("--count", help="A column of counts (repeatable)")],
    actor: Actor,
    description: Annotated[str, typer.Option("--description")] = "",
    home: Home = None,
) -> None:
    """Hand a job's count table to the release desk (checked; two output checkers release it)."""
    with open_node(home) as node:
        release = node.workspace.release_job_table(
            job_id, file, count, actor=actor, description=description or f"{file} of {job_id}"
        )
    item = release.items[0]
    out.print(
        f"{release.id}: {len(item.rows)} rows, automatic checks '{item.status}'; "
        f"{release.state} at the release desk (two output checkers release it)"
    )


@app.command("extract")
def extract(
    sql: Annotated[str, typer.Argument(help="One row per person from the grant's views, or @FILE")],
    grant: Grant,
    qi: Annotated[
        list[str],
        typer.Option("--qi", help="COLUMN=HIERARCHY (age, year, date, zip, category); repeatable"),
    ],
    sensitive: Annotated[list[str], typer.Option("--sensitive", help="A sensitive column")],
    actor: Actor,
    description: Annotated[str, typer.Option("--description")] = "anonymised extract",
    home: Home = None,
) -> None:
    """An anonymised person-level extract (k, l, t of the release policy) for the release desk."""
    if sql.startswith("@"):
        sql = _read(Path(sql[1:]))
    pairs = [q.split("=", 1) for q in qi]
    bad = [q for q, p in zip(qi, pairs, strict=True) if len(p) != 2 or not all(p)]
    if bad:
        raise InputError(f"--qi takes COLUMN=HIERARCHY, not {bad[0]!r}")
    with open_node(home) as node:
        request = node.workspace.anonymised_extract(
            grant, sql, dict(pairs), sensitive, actor=actor, description=description
        )
    item = request.items[0]
    table = Table(title=f"{request.id}: anonymised extract, checks '{item.status}'")
    for col in ("check", "status", "reason"):
        table.add_column(col)
    for c in item.checks:
        table.add_row(str(c["name"]), str(c["status"]), str(c["reason"]))
    out.print(table)
    out.print(f"{request.state} at the release desk: two output checkers release it")
