"""``socle observatory``: submit, review, publish, import, rank and report on the map."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import orjson
import typer

from socle.cli.common import Actor, Home, open_node, out
from socle.errors import InputError

if TYPE_CHECKING:
    from socle.node import Node

REVIEWER = "observatory_reviewer"  # the role the observatory's reviews are recorded with

app = typer.Typer(no_args_is_help=True)
method_app = typer.Typer(no_args_is_help=True)
app.add_typer(method_app, name="method", help="The published scoring method and its versions.")

Role = Annotated[str, typer.Option("--role", help="The submitter's role (audited)")]
Ids = Annotated[list[str] | None, typer.Argument(help="Entry ids")]
Source = Annotated[
    str | None, typer.Option(help="Every entry from this source (fda, import, socle_model...)")
]


@app.command("import")
def import_file(
    path: Path, home: Home = None, actor: Actor = "steward", role: Role = "data_steward"
) -> None:
    """Submit entries from JSON or CSV (documented format); they wait for review."""
    with open_node(home) as node:
        result = node.observatory.import_file(path, actor=actor, role=role)
    b = result.batch
    out.print(f"{len(b.created)} submitted, {len(b.revised)} revised, {len(b.unchanged)} unchanged")
    for line, reason in result.refused:
        out.print(f"  refused line {line}: {reason}")


@app.command("import-fda")
def import_fda(
    path: Path, home: Home = None, actor: Actor = "steward", role: Role = "data_steward"
) -> None:
    """Import the FDA list of AI-enabled devices (idempotent); report what was not mapped."""
    with open_node(home) as node:
        r = node.observatory.import_fda(path, actor=actor, role=role)
    out.print(
        f"{r.rows} rows: {r.created} submitted, {r.revised} revised, {r.unchanged} unchanged, "
        f"{len(r.rejected)} rejected; categories {dict(r.by_category.most_common())}"
    )
    for u in r.unmapped:
        out.print(f"  unmapped: {u.submission} (panel '{u.panel}', code {u.product_code or '-'})")
    for line, reason in r.rejected:
        out.print(f"  rejected line {line}: {reason}")


@app.command("sync")
def sync(home: Home = None, actor: Actor = "steward") -> None:
    """Submit this node's models and catalogue datasets; snapshot the models' live figures."""
    with open_node(home) as node:
        models = node.observatory.live.sync_models()
        datasets = node.observatory.sync_catalogue(actor=actor)
        live = node.observatory.live.refresh()
    out.print(
        f"models: {len(models.created)} new, {len(models.revised)} revised; datasets: "
        f"{len(datasets.created)} new, {len(datasets.revised)} revised; "
        f"live figures updated for {len(live)} entries"
    )


@app.command("declare")
def declare(
    statement: Annotated[str, typer.Option(help="The declaration, e.g. 'no conflict'")],
    maker: Annotated[list[str] | None, typer.Option(help="A maker you are conflicted with")] = None,
    entry: Annotated[list[str] | None, typer.Option(help="An entry you are conflicted on")] = None,
    home: Home = None,
    actor: Actor = "reviewer",
) -> None:
    """File your declaration of interests (needed before reviewing)."""
    with open_node(home) as node:
        d = node.observatory.reviews.declare_interests(
            actor, makers=maker or (), entries=entry or (), statement=statement
        )
    out.print(f"{d.reviewer}: declaration filed ({len(d.makers)} makers, {len(d.entries)} entries)")


def _targets(ids: list[str] | None, source: str | None, state: str, node: Node) -> list[str]:
    if ids:
        return ids
    if source:
        return node.observatory.registry.entry_ids(source=source, state=state)
    raise InputError("name entry ids, or --source to act on every entry of a source")


@app.command("review")
def review(
    ids: Ids = None,
    source: Source = None,
    changes: Annotated[str, typer.Option(help="Request these changes instead")] = "",
    note: Annotated[str, typer.Option()] = "",
    home: Home = None,
    actor: Actor = "reviewer",
) -> None:
    """Review submitted entries (yours and those you are conflicted on are skipped)."""
    with open_node(home) as node:
        targets = _targets(ids, source, "submitted", node)
        done, skipped = node.observatory.reviews.review_many(
            targets, reviewer=actor, outcome="changes_requested" if changes else "reviewed",
            note=changes or note,
        )  # fmt: skip
    out.print(f"{len(done)} reviewed by {actor} ({REVIEWER}); {len(skipped)} skipped")
    for reason in list(skipped.values())[:20]:
        out.print(f"  skipped: {reason}")


@app.command("publish")
def publish(ids: Ids = None, source: Source = None, home: Home = None,
            actor: Actor = "reviewer") -> None:  # fmt: skip
    """Publish reviewed entries: their reviewed version becomes the public one."""
    with open_node(home) as node:
        targets = _targets(ids, source, "reviewed", node)
        done, skipped = node.observatory.reviews.publish_many(targets, actor=actor)
    out.print(f"{len(done)} published by {actor}; {len(skipped)} skipped")
    for reason in list(skipped.values())[:20]:
        out.print(f"  skipped: {reason}")


@app.command("show")
def show(entry_id: str, home: Home = None) -> None:
    """An entry's latest version, its state and its version history."""
    with open_node(home) as node:
        e = node.observatory.registry.entry(entry_id)
        history = node.observatory.registry.history(entry_id)
    out.print(f"[bold]{e.id}[/] {e.data.name} ({e.data.maker}) — {e.state}, version {e.version}, "
              f"published version {e.published_version or '-'}")  # fmt: skip
    out.print_json(orjson.dumps(e.data.model_dump(mode="json")).decode())
    for v in history:
        out.print(f"  v{v.version}: submitted by {v.submitted_by} ({v.submitted_role}) "
                  f"{v.submitted_at}; review {v.review_outcome or '-'} by {v.reviewed_by or '-'}; "
                  f"published {v.published_at or '-'}")  # fmt: skip


@app.command("list")
def list_(
    category: Annotated[str | None, typer.Option()] = None,
    kind: Annotated[str | None, typer.Option(help="tool or database")] = None,
    limit: Annotated[int, typer.Option()] = 20,
    home: Home = None,
) -> None:
    """Published entries (what the public sees)."""
    with open_node(home) as node:
        entries = node.observatory.registry.published_entries(kind=kind, category=category)
    out.print(f"{len(entries)} published entries")
    for e in entries[:limit]:
        out.print(f"  {e.id} v{e.version} {e.data.name} ({e.data.maker}) "
                  f"[{getattr(e.data, 'category', 'database')}]")  # fmt: skip


@app.command("top")
def top(
    category: str,
    method: Annotated[int | None, typer.Option(help="Method version (default: current)")] = None,
    as_of: Annotated[str | None, typer.Option(help="Recompute as of a date (YYYY-MM-DD)")] = None,
    record: Annotated[bool, typer.Option(help="Record the ranking's digest (audited)")] = False,
    home: Home = None,
    actor: Actor = "reviewer",
) -> None:
    """The Top 10 of a category with each criterion's contribution."""
    with open_node(home) as node:
        ranking = node.observatory.rankings.top(category, method_version=method, as_of=as_of)
        if record:
            node.observatory.rankings.record(ranking, actor=actor, role=REVIEWER)
    from socle.observatory import explain

    for line in explain(ranking):
        out.print(line, highlight=False, markup=False)
    out.print(f"digest {ranking.digest}")


@app.command("alerts")
def alerts(home: Home = None) -> None:
    """Vigilance alerts on published tools."""
    with open_node(home) as node:
        found = node.observatory.alerts()
    out.print(f"{len(found)} alerts")
    for a in found:
        out.print(f"  {a.kind:<18} {a.name}: {a.message}", markup=False)


@app.command("export")
def export(
    fmt: Annotated[str, typer.Option("--format", help="json, csv, dcat or feed")] = "json",
    output: Annotated[Path | None, typer.Option("--out", help="File (default: stdout)")] = None,
    home: Home = None,
) -> None:
    """Export the published map."""
    with open_node(home) as node:
        if fmt == "dcat":
            data = orjson.dumps(node.observatory.dcat(), option=orjson.OPT_INDENT_2)
        elif fmt == "feed":
            data = orjson.dumps(node.observatory.feed(), option=orjson.OPT_INDENT_2)
        else:
            data = node.observatory.export(fmt)
    if output:
        output.write_bytes(data)
        out.print(f"wrote {output}")
    else:
        typer.echo(data.decode())


@app.command("entry")
def entry(entry_id: str, home: Home = None) -> None:
    """One published entry as JSON (what the public sees)."""
    with open_node(home) as node:
        e = node.observatory.registry.published(entry_id)
        live = node.observatory.live.figures([entry_id]).get(entry_id)
    from socle.observatory import public_json

    typer.echo(orjson.dumps(public_json(e, live), option=orjson.OPT_INDENT_2).decode())


@app.command("report")
def report(home: Home = None) -> None:
    """Write the public HTML report with plots (reports/observatory.html)."""
    with open_node(home) as node:
        path = node.observatory.report(node.reports)
    out.print(f"wrote {path}")


@method_app.command("init")
def method_init(home: Home = None, actor: Actor = "reviewer") -> None:
    """Adopt the published method 1 on a new node (recorded)."""
    with open_node(home) as node:
        m = node.observatory.rankings.ensure_method(actor=actor, role=REVIEWER)
    out.print(
        f"current method: v{m.method.version} ({m.method.digest[:16]}), adopted by {m.adopted_by}"
    )


@method_app.command("adopt")
def method_adopt(
    path: Path,
    reason: Annotated[str, typer.Option(help="Why the method changes (published with it)")],
    home: Home = None,
    actor: Actor = "reviewer",
) -> None:
    """Adopt a new version of the scoring method: a recorded, audited decision."""
    with open_node(home) as node:
        m = node.observatory.rankings.adopt(path.read_text(), actor=actor, role=REVIEWER,
                                            reason=reason)  # fmt: skip
    out.print(f"method v{m.method.version} adopted by {m.adopted_by}: {m.reason}")


@method_app.command("show")
def method_show(version: Annotated[int | None, typer.Argument()] = None,
                home: Home = None) -> None:  # fmt: skip
    """The text of a method version (default: current) and who adopted it, when and why."""
    with open_node(home) as node:
        m = node.observatory.rankings.method(version)
    out.print(f"# v{m.method.version}, adopted {m.adopted_at} by {m.adopted_by} ({m.adopted_role}): "
              f"{m.reason}", markup=False)  # fmt: skip
    typer.echo(m.method.text)
