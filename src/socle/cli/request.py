"""``socle request``: follow an access request, review it in committee, time decisions."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from socle.cli.common import Actor, Home, open_node, out
from socle.errors import InputError

app = typer.Typer(no_args_is_help=True)


@app.command("show")
def show(request_id: str, home: Home = None) -> None:
    """Show a request and its state."""
    with open_node(home) as node:
        req, state = node.governance.request(request_id)
    out.print(f"{request_id} [{state}] {req.title} — purpose {req.purpose}, sponsor {req.sponsor}")


@app.command("criteria")
def criteria(home: Home = None) -> None:
    """The committee's published criteria and decision rule."""
    with open_node(home) as node:
        c = node.governance.criteria
    table = Table(title=f"criteria, scored {c.scale_min} to {c.scale_max}")
    for col in ("code", "title", "weight", "question"):
        table.add_column(col)
    for k in c.criteria.values():
        table.add_row(k.code, k.title, f"{k.weight:g}", k.question)
    out.print(table)
    out.print(
        f"approved if weighted mean >= {c.approve_at} and no criterion below {c.floor}; "
        f"rejected below {c.reject_below}; otherwise changes requested; "
        f"at least {c.min_reviews} review(s)"
    )


@app.command("add-member")
def add_member(
    name: str,
    expertise: Annotated[str, typer.Option()],
    home: Home = None,
    actor: Actor = "chair",
) -> None:
    """Appoint a committee member."""
    with open_node(home) as node:
        m = node.governance.add_member(name, expertise=expertise, actor=actor)
    out.print(f"member {m.id}: {m.name} ({m.expertise})")


@app.command("declare-conflict")
def declare_conflict(
    member_id: str,
    statement: Annotated[str, typer.Option()],
    request: Annotated[str | None, typer.Option(help="The request concerned")] = None,
    sponsor: Annotated[str | None, typer.Option(help="Or: every request of this sponsor")] = None,
    home: Home = None,
    actor: Actor = "chair",
) -> None:
    """Declare a member's conflict of interest; the member is excluded from those requests."""
    with open_node(home) as node:
        node.governance.declare_conflict(
            member_id, statement=statement, request_id=request, sponsor=sponsor, actor=actor
        )
    out.print(f"conflict of interest of {member_id} recorded")


def _scores(pairs: list[str]) -> dict[str, int]:
    scores = {}
    for pair in pairs:
        name, _, value = pair.partition("=")
        try:
            scores[name.strip()] = int(value)
        except ValueError as exc:
            raise InputError(f"score '{pair}' must be CRITERION=N, e.g. feasibility=4") from exc
    return scores


def _comments(pairs: list[str]) -> dict[str, str]:
    comments = {}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        if not sep or not text.strip():
            raise InputError(f"comment '{pair}' must be CRITERION=TEXT")
        comments[name.strip()] = text.strip()
    return comments


@app.command("review")
def review(
    request_id: str,
    member: Annotated[str, typer.Option(help="The reviewing member's id")],
    score: Annotated[list[str], typer.Option(help="CRITERION=N, once per criterion")],
    summary: Annotated[str, typer.Option()],
    comment: Annotated[
        list[str] | None, typer.Option(help="CRITERION=TEXT, a comment on one criterion")
    ] = None,
    home: Home = None,
    actor: Annotated[
        str | None, typer.Option("--actor", help="Who records it (default: the member's name)")
    ] = None,
) -> None:
    """Score every published criterion of a request in review (as the reviewing member)."""
    with open_node(home) as node:
        if actor is None:
            actor = next((m.name for m in node.governance.members() if m.id == member), member)
        r = node.governance.review(
            request_id, member, scores=_scores(score), summary=summary,
            comments=_comments(comment or []), actor=actor,
        )  # fmt: skip
        rec = node.governance.recommendation(request_id)
    out.print(f"review of {r.request_id} by {r.member_id} recorded (round {r.round})")
    out.print(f"recommendation: {rec.outcome or 'pending'} ({rec.reason})")


@app.command("reviews")
def reviews(request_id: str, home: Home = None) -> None:
    """Every review of a request, by round, and the current recommendation."""
    with open_node(home) as node:
        found = node.governance.reviews(request_id)
        rec = node.governance.recommendation(request_id)
        codes = list(node.governance.criteria.criteria)
    table = Table(title=f"reviews of {request_id}")
    for col in ("round", "member", *codes, "summary"):
        table.add_column(col)
    for r in found:
        table.add_row(
            str(r.round), r.member_id,
            *(f"{r.scores[c]}" + (" *" if c in r.comments else "") for c in codes), r.summary,
        )  # fmt: skip
    out.print(table)
    for r in found:
        for c, text in r.comments.items():
            out.print(f"  * {r.member_id} on {c}: {text}")
    out.print(f"recommendation: {rec.outcome or 'pending'} ({rec.reason})")


@app.command("revoke")
def revoke(
    grant_id: str,
    reason: Annotated[str, typer.Option()],
    home: Home = None,
    actor: Actor = "chair",
) -> None:
    """Revoke a grant: every access under it stops at once."""
    with open_node(home) as node:
        node.governance.revoke_grant(grant_id, actor=actor, reason=reason)
    out.print(f"{grant_id} revoked")


@app.command("expire")
def expire(home: Home = None, actor: Actor = "scheduler") -> None:
    """Move every request whose grant has expired to 'expired' (the server does it hourly;
    run this from cron when no server runs)."""
    with open_node(home) as node:
        expired = node.governance.expire_due(actor=actor)
    out.print(f"{len(expired)} request(s) expired" + (f": {', '.join(expired)}" if expired else ""))


@app.command("decide")
def decide(
    request_id: str,
    reasons: Annotated[str, typer.Option()],
    conditions: Annotated[str, typer.Option()] = "",
    home: Home = None,
    actor: Actor = "chair",
) -> None:
    """Record the committee's decision as its scored reviews recommend."""
    with open_node(home) as node:
        outcome = node.governance.decide_from_reviews(
            request_id, reasons=reasons, conditions=conditions, actor=actor
        )
    out.print(f"{request_id}: {outcome}")


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.1f}s"
    if seconds < 3600:
        return f"{seconds / 60:.1f}min"
    days, rest = divmod(seconds, 86400)
    return f"{int(days)}d {rest / 3600:04.1f}h" if days else f"{seconds / 3600:.1f}h"


@app.command("decision-times")
def decision_times(home: Home = None) -> None:
    """Time from first submission to decision, per request and as median and percentiles."""
    with open_node(home) as node:
        times = node.governance.decision_times()
        summary = node.governance.decision_time_summary()
    table = Table(title="time from submission to decision")
    for col in ("request", "state", "submitted", "decided", "time"):
        table.add_column(col)
    for t in times:
        table.add_row(
            t.request_id, t.state, t.submitted_at[:19], (t.decided_at or "pending")[:19],
            _duration(t.seconds),
        )  # fmt: skip
    out.print(table)
    out.print(
        f"{summary.decided} of {summary.submitted} submitted requests decided; "
        f"median {_duration(summary.median)}, p75 {_duration(summary.p75)}, "
        f"p90 {_duration(summary.p90)}, max {_duration(summary.max)}"
    )
