"""``socle release``: check outputs, request their release, review them as an output checker."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

import typer
from rich.table import Table

from socle.cli.common import Actor, Home, open_node, out

if TYPE_CHECKING:  # the release context loads only when a command runs
    from socle.release import CheckReport, OutputRequest

app = typer.Typer(no_args_is_help=True)
Condition = Annotated[
    str, typer.Option("--condition", help="VOCABULARY|code, e.g. SNOMED|73595000")
]
By = Annotated[list[str] | None, typer.Option("--by", help="age_band and/or sex (repeatable)")]
STYLE = {"pass": "green", "review": "yellow", "fail": "red"}


def _checks(report: CheckReport) -> None:
    table = Table(title=f"{report.output}: [{STYLE[report.status]}]{report.status}[/]")
    for col in ("check", "status", "reason", "source"):
        table.add_column(col)
    for c in report.checks:
        status = c.status + (" (mitigated)" if c.mitigated else "")
        table.add_row(c.name, f"[{STYLE[c.status]}]{status}[/]", c.reason, c.source)
    out.print(table)


def _request(req: OutputRequest, *, values: bool) -> None:
    out.print(
        f"{req.id} ({req.state}) {req.description} — grant {req.grant_id}, by {req.requester}",
        markup=False,
    )
    for item in req.items:
        table = Table(title=f"{item.name} ({item.kind}): {item.status}")
        for col in ("check", "status", "reason"):
            table.add_column(col)
        for c in item.checks:
            table.add_row(str(c["name"]), str(c["status"]), str(c["reason"]))
        out.print(table)
        if item.exception:
            out.print(f"exception asked: {item.exception}")
        if values:
            out.print(" | ".join(item.columns))
            for row in item.rows:
                out.print(" | ".join("suppressed" if v is None else str(v) for v in row))
        if item.sha256:
            out.print(f"sha256 {item.sha256}")
    for r in req.reviews:
        out.print(f"  {r.checker}: {r.decision} {r.reasons}")
    if req.folder:
        out.print(f"released files: {req.folder}")


@app.command("policy")
def policy(home: Home = None) -> None:
    """The node's published thresholds (ACRO's names)."""
    with open_node(home) as node:
        for key, value in node.desk.policy.as_dict().items():
            out.print(f"{key} = {value}")


@app.command("check")
def check(
    grant: str, condition: Condition, by: By = None, home: Home = None, actor: Actor = "researcher"
) -> None:
    """Run the automatic checks on a count table; nothing is requested, nothing leaves."""
    with open_node(home) as node:
        report = node.workspace.check_condition_counts(
            grant, condition, by or ["age_band", "sex"], actor=actor
        )
    _checks(report)


@app.command("request")
def request(
    grant: str, condition: Condition, by: By = None, home: Home = None, actor: Actor = "researcher"
) -> None:
    """Hand a count table to the release desk for the output checkers."""
    with open_node(home) as node:
        req = node.workspace.condition_counts(
            grant, condition, by or ["age_band", "sex"], actor=actor
        )
    _request(req, values=False)


@app.command("dp-count")
def dp_count(
    grant: str,
    condition: Condition,
    epsilon: Annotated[float, typer.Option(help="Privacy loss to spend from the grant's budget")],
    by: Annotated[str | None, typer.Option(help="age_band or sex")] = None,
    home: Home = None,
    actor: Actor = "researcher",
) -> None:
    """A differentially private count, spending ε from the grant's budget."""
    with open_node(home) as node:
        req = node.workspace.dp_condition_count(grant, condition, epsilon, by=by, actor=actor)
        budget = node.desk.budget(grant)
    _request(req, values=False)
    out.print(f"budget: ε {budget.spent_epsilon:g} of {budget.epsilon:g} spent")


@app.command("queue")
def queue(home: Home = None) -> None:
    """Requests waiting for output checkers."""
    with open_node(home) as node:
        waiting = [*node.desk.requests(state="submitted"), *node.desk.requests(state="in_review")]
    for r in waiting:
        out.print(f"{r.id} ({r.state}) {r.description} — {len(r.reviews)} review(s)", markup=False)
    if not waiting:
        out.print("no output request waiting")


@app.command("show")
def show(request_id: str, home: Home = None, actor: Actor = "researcher") -> None:
    """A request with its checks, and its values for checkers or once released."""
    with open_node(home) as node:
        req = node.desk.get(request_id)
        checker = actor in node.desk.checkers()
        history = node.desk.history(request_id) if checker else []
    _request(req, values=checker or req.state == "released")
    for h in history:
        out.print(f"earlier release of the project: {h.id} {h.description}")


@app.command("review")
def review(
    request_id: str,
    decision: Annotated[Literal["approved", "rejected", "changes_requested"], typer.Option()],
    reasons: Annotated[str, typer.Option()] = "",
    home: Home = None,
    actor: Actor = "checker",
) -> None:
    """Approve, reject with reasons, or ask for changes (as an appointed output checker)."""
    with open_node(home) as node:
        req = node.desk.review(request_id, decision, reasons=reasons, actor=actor)
    out.print(f"{req.id} is now {req.state}")
    if req.folder:
        out.print(f"released files: {req.folder}")


@app.command("appoint")
def appoint(name: str, home: Home = None, actor: Actor = "admin") -> None:
    """Appoint an output checker."""
    with open_node(home) as node:
        node.desk.appoint_checker(name, actor=actor)
        names = node.desk.checkers()
    out.print(f"output checkers: {', '.join(names)}")


@app.command("ledger")
def ledger(project: str, home: Home = None) -> None:
    """Every released cell of a project (released values only)."""
    with open_node(home) as node:
        entries = node.desk.ledger(project)
    for e in entries:
        cell = ", ".join(f"{d}={v}" for d, v in zip(e.dims, e.labels, strict=True))
        out.print(
            f"{e.release_id}  {cell}  {'suppressed' if e.released_value is None else e.released_value}"
        )


@app.command("budget")
def budget(grant: str, home: Home = None) -> None:
    """The grant's privacy budget and what each DP release spent."""
    with open_node(home) as node:
        b = node.desk.budget(grant)
        spends = node.desk.spends(grant)
    out.print(
        f"{grant}: ε {b.spent_epsilon:g} of {b.epsilon:g} spent, {b.remaining_epsilon:g} left"
    )
    for s in spends:
        out.print(f"  {s['request']} {s['kind']} ε={s['epsilon']:g} at {s['at']}")
