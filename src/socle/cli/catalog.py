"""``socle catalog``: register, show, search and export the catalogue; counts for a purpose."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import orjson
import typer
from rich.table import Table

from socle.cli.common import Actor, Home, open_node, out

if TYPE_CHECKING:
    from socle.catalog import Dataset

app = typer.Typer(no_args_is_help=True)


@app.command("register")
def register(
    title: Annotated[str, typer.Option()],
    description: Annotated[str, typer.Option()],
    publisher: Annotated[str, typer.Option()] = "Socle node",
    contact: Annotated[str, typer.Option(help="Contact point (e-mail)")] = "",
    theme: Annotated[
        list[str] | None, typer.Option(help="Theme (repeatable); HEAL by default")
    ] = None,
    keyword: Annotated[list[str] | None, typer.Option(help="Keyword (repeatable)")] = None,
    legal_basis: Annotated[str, typer.Option()] = "",
    access_rights: Annotated[
        str, typer.Option(help="public, restricted or non-public")
    ] = "restricted",
    update_frequency: Annotated[str, typer.Option()] = "irregular",
    population_coverage: Annotated[str, typer.Option()] = "",
    home: Home = None,
    actor: Actor = "steward",
) -> None:
    """Register the warehouse as a catalogue dataset with its variable dictionary."""
    with open_node(home) as node:
        ds = node.catalog.register(
            node.warehouse, title=title, description=description, publisher=publisher,
            actor=actor, contact=contact, themes=theme or ("HEAL",), keywords=keyword or (),
            legal_basis=legal_basis, access_rights=access_rights,
            update_frequency=update_frequency, population_coverage=population_coverage,
        )  # fmt: skip
    out.print(f"dataset {ds.id}: {ds.population or '<10'} persons, {len(ds.variables)} variables")


def _print_dataset(ds: Dataset) -> None:
    out.print(f"[bold]{ds.id}[/] {ds.title} — {ds.publisher}")
    out.print(f"  {ds.description}")
    out.print(
        f"  persons {ds.population if ds.population is not None else '<threshold'}, "
        f"{ds.coverage_start} to {ds.coverage_end}, themes {', '.join(ds.themes) or '-'}, "
        f"access {ds.access_rights}, updated {ds.update_frequency}"
    )


def _print_policy(policy: dict[str, object]) -> None:
    """The published release policy every output of the dataset leaves under."""
    digest = str(policy.get("sha256", ""))[:12]
    out.print(
        f"  outputs leave under the release policy {policy.get('source', 'built-in')}"
        + (f" (sha256 {digest}…)" if digest else ""),
        markup=False,
    )
    shown = {k: v for k, v in policy.items() if k not in ("source", "sha256")}
    out.print("    " + ", ".join(f"{k}={v}" for k, v in shown.items()), markup=False)


@app.command("show")
def show(
    dataset_id: str,
    variables: Annotated[bool, typer.Option(help="Print the variable dictionary")] = False,
    home: Home = None,
) -> None:
    """Show a dataset's metadata (and its dictionary)."""
    with open_node(home) as node:
        ds = node.catalog.get(dataset_id)
    _print_dataset(ds)
    _print_policy(ds.release_policy)
    if variables:
        table = Table(title="variable dictionary")
        for col in ("variable", "type", "complete", "distinct", "description"):
            table.add_column(col)
        for v in ds.variables:
            table.add_row(
                f"{v.table}.{v.column}", v.type,
                "-" if v.completeness is None else f"{v.completeness:.0%}",
                "<threshold" if v.distinct_values is None else str(v.distinct_values),
                v.description,
            )  # fmt: skip
        out.print(table)


@app.command("search")
def search(
    keyword: Annotated[str | None, typer.Option()] = None,
    theme: Annotated[str | None, typer.Option()] = None,
    variable: Annotated[str | None, typer.Option(help="table.column, column, or a word")] = None,
    home: Home = None,
) -> None:
    """Find datasets by keyword, theme and variable."""
    with open_node(home) as node:
        found = node.catalog.search(keyword=keyword, theme=theme, variable=variable)
    for ds in found:
        _print_dataset(ds)
    out.print(f"{len(found)} dataset(s) found")


@app.command("export-dcat")
def export_dcat(
    path: Path,
    title: Annotated[str, typer.Option(help="Title of the catalogue")] = "Socle node catalogue",
    home: Home = None,
) -> None:
    """Write the whole catalogue as DCAT (HealthDCAT-AP) JSON-LD."""
    from socle.catalog import to_jsonld

    with open_node(home) as node:
        datasets = node.catalog.datasets()
    path.write_bytes(
        orjson.dumps(to_jsonld(datasets, catalog_title=title), option=orjson.OPT_INDENT_2)
    )
    out.print(f"{len(datasets)} dataset(s) written to {path}")


@app.command("counts")
def counts(
    dataset_id: str,
    purpose: Annotated[str, typer.Option(help="Purpose whose consent filter applies")],
    home: Home = None,
    actor: Actor = "steward",
) -> None:
    """Persons per table for a purpose, consent applied, small cells hidden."""
    with open_node(home) as node:
        c = node.catalog.counts(
            dataset_id, warehouse=node.warehouse, consent=node.consent, purpose=purpose,
            actor=actor,
        )  # fmt: skip

    def hide(n: int | None) -> str:
        return f"<{c.threshold}" if n is None else str(n)

    out.print(f"dataset {dataset_id}, purpose {purpose}, {c.as_of}: {hide(c.persons)} persons")
    for name, n in {**c.by_table, **{f"sex {s}": n for s, n in c.by_sex.items()}}.items():
        out.print(f"  {name:24} {hide(n)}")
