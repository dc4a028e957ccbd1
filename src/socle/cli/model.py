"""``socle model``: definitions, training, the registry's stages, lineage and documents."""

from __future__ import annotations

from typing import Annotated

import orjson
import typer
from rich.table import Table

from socle.cli.common import Actor, Home, err, open_node, out

app = typer.Typer(no_args_is_help=True)


@app.command("definitions")
def definitions() -> None:
    """The prediction tasks: cohort, index, outcome, time at risk and features (as data)."""
    from socle.ai import load_definitions

    table = Table(title="model definitions (src/socle/ai/definitions.toml)")
    for col in ("id", "status", "index", "outcome", "time at risk (days)", "features"):
        table.add_column(col)
    for d in load_definitions().values():
        table.add_row(
            d.id, d.status, d.index, d.outcome_label,
            f"{d.time_at_risk_days[0]}–{d.time_at_risk_days[1]}", ", ".join(d.feature_names),
        )  # fmt: skip
    out.print(table)


@app.command("train")
def train(
    grant_id: str,
    definition: Annotated[str, typer.Option(help="A model definition id")] = "hypertension-5y",
    home: Home = None,
    actor: Actor = "researcher",
) -> None:
    """Train, evaluate and document a model on a grant's consenting persons."""
    with open_node(home) as node, err.status("training, evaluating and documenting…"):
        trained = node.models.train(node.workspace, grant_id, actor=actor, definition_id=definition)
    report = trained.report or {}
    out.print(f"{trained.id} registered in development; AUROC "
              f"{report.get('discrimination', {}).get('auroc', 'withheld')}; "
              f"documents in {trained.folder}", soft_wrap=True)  # fmt: skip
    for warning in report.get("warnings", []):
        out.print(f"[yellow]⚠ {warning}[/]")


@app.command("list")
def list_models(home: Home = None) -> None:
    """Every model with its version and stage."""
    with open_node(home) as node:
        infos = node.models.models()
    table = Table(title="model registry")
    for col in ("model", "definition", "version", "stage", "since", "reason"):
        table.add_column(col)
    for i in infos:
        table.add_row(i.id, i.definition_id, str(i.version), i.stage, i.stage_at, i.stage_reason)
    out.print(table)


@app.command("stage")
def stage(
    model_id: str,
    to: Annotated[str, typer.Option(help="validated, deployed, suspended or retired")],
    reason: Annotated[str, typer.Option()],
    role: Annotated[str, typer.Option(help="committee_member or college_member")],
    home: Home = None,
    actor: Actor = "committee",
) -> None:
    """Move a model to another stage (a decision of the role the lifecycle names; audited)."""
    with open_node(home) as node:
        info = node.models.transition(model_id, to, actor=actor, role=role, reason=reason)
    out.print(f"{info.id} ({info.label}) is now {info.stage}")


@app.command("show")
def show(model_id: str, home: Home = None) -> None:
    """A model's stage history and lineage (grant, hashes, parameters, libraries)."""
    with open_node(home) as node:
        info, lineage = node.models.info(model_id), node.models.lineage(model_id)
        transitions = node.models.transitions(model_id)
    out.print(f"[bold]{info.id}[/] {info.label}: {info.stage} since {info.stage_at}")
    for t in transitions:
        out.print(f"  {t.at} {t.from_stage} → {t.to_stage} by {t.actor} ({t.role}): {t.reason}")
    lineage.pop("definition", None)
    typer.echo(orjson.dumps(lineage, option=orjson.OPT_INDENT_2).decode())


@app.command("document")
def document(
    model_id: str,
    name: Annotated[
        str,
        typer.Argument(help="card, notice-en, notice-fr, annex-iv, tripod, report, report-json"),
    ] = "report",
    home: Home = None,
) -> None:
    """Print where a model's document is (HTML report, card, notices, TRIPOD+AI, Annex IV)."""
    with open_node(home) as node:
        out.print(str(node.models.document(model_id, name)), soft_wrap=True)
