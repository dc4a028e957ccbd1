"""``socle warehouse``: vocabularies and pseudonym-key rotation."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from socle.cli.common import Actor, Home, err, open_node, out

if TYPE_CHECKING:
    from socle.warehouse import MappingReport

app = typer.Typer(no_args_is_help=True)


@app.command("load-vocabulary")
def load_vocabulary(
    folder: Annotated[
        Path, typer.Argument(help="Unzipped Athena download (CONCEPT.csv, ...; .gz allowed)")
    ],
    home: Home = None,
    actor: Actor = "steward",
) -> None:
    """Load the OHDSI vocabularies and map (and route) every stored row to standard concepts."""
    from socle.warehouse import VOCABULARY_TABLES

    with open_node(home) as node, Progress(
        TextColumn("vocabulary"), BarColumn(), MofNCompleteColumn(),
        TextColumn("{task.fields[table]}"), TimeElapsedColumn(), console=err,
    ) as bar:  # fmt: skip
        task = bar.add_task("tables", total=len(VOCABULARY_TABLES), table="")

        def advance(table: str, rows: int) -> None:
            bar.update(task, advance=1, table=f"{table}: {rows:,} rows")

        counts = node.load_vocabulary(folder, actor=actor, on_table=advance)
        report = node.warehouse.mapping_report()
    out.print(
        f"vocabulary loaded: {counts['concept']:,} concepts, "
        f"{counts['concept_relationship']:,} relationships; {counts['mapped_rows']:,} rows mapped"
    )
    print_mapping_report(report)


@app.command("export-parquet")
def export_parquet(
    folder: Annotated[
        Path | None,
        typer.Argument(help="Target folder (default: SOCLE_PARQUET_DIR or <home>/cdm-parquet)"),
    ] = None,
    buckets: Annotated[int, typer.Option(help="Person partitions of patient tables")] = 16,
    home: Home = None,
    actor: Actor = "steward",
) -> None:
    """Write the warehouse as an OMOP CDM in Parquet, patient tables partitioned by person,
    for Spark (SOCLE_ENGINE=spark) or any Parquet reader; replaces the folder atomically."""
    with open_node(home) as node:
        cdm = node.export_parquet(folder, actor=actor, buckets=buckets)
    out.print(
        f"Parquet CDM written to {cdm.folder}: {sum(cdm.rows.values()):,} rows in "
        f"{sum(1 for n in cdm.rows.values() if n)} tables, patient tables in {cdm.buckets} "
        "person buckets"
    )


@app.command("load-partitioned")
def load_partitioned(
    source: Annotated[Path, typer.Argument(help="FHIR Bulk Data export (Type.ndjson files)")],
    folder: Annotated[
        Path | None,
        typer.Option(
            help="Parquet CDM to write (default: SOCLE_PARQUET_DIR or <home>/cdm-parquet)"
        ),
    ] = None,
    partitions: Annotated[int, typer.Option(help="Loads, each a share of the patients")] = 4,
    buckets: Annotated[int, typer.Option(help="Person partitions of patient tables")] = 16,
    vocabulary: Annotated[
        Path | None, typer.Option(help="Athena vocabulary folder to map codes with")
    ] = None,
    home: Home = None,
    actor: Actor = "steward",
) -> None:
    """Load FHIR Bulk Data at scale: split by patient, each partition loaded by DuckDB (same
    mapping, pseudonyms and vault), merged into one Parquet CDM for Spark."""
    with open_node(home) as node, Progress(
        TextColumn("partitions"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=err,
    ) as bar:  # fmt: skip
        task = bar.add_task("load", total=partitions)
        summary = node.load_partitioned(
            source, actor=actor, target=folder, partitions=partitions, buckets=buckets,
            vocabulary=vocabulary, on_partition=lambda k, s: bar.update(task, advance=1),
        )  # fmt: skip
    totals = summary.totals()
    out.print(
        f"{summary.persons:,} persons in {len(summary.partitions)} partitions: "
        f"{totals['read']:,} resources read, {totals['loaded']:,} loaded, "
        f"{totals['quarantined']:,} quarantined; Parquet CDM at "
        f"{summary.cdm.folder if summary.cdm else '-'}"
    )


@app.command("mapping-report")
def mapping(home: Home = None, top: int = 20) -> None:
    """Share of rows with a known source code and with a standard concept; top unmapped codes."""
    with open_node(home) as node:
        print_mapping_report(node.warehouse.mapping_report(top=top))


def print_mapping_report(report: MappingReport) -> None:
    table = Table(title="Mapping (steward view)")
    for col in ("table", "vocabulary", "rows", "source code known", "standard concept"):
        table.add_column(col)
    for s in report.shares:
        table.add_row(
            s.table,
            s.vocabulary,
            *(f"{n:,}" for n in (s.rows or 0, s.in_vocabulary or 0, s.standard or 0)),
        )
    out.print(table)
    totals = report.totals()
    out.print(
        f"rows whose source code is in the vocabulary: {totals['share_in_vocabulary']:.1%}; "
        f"rows with a standard concept: {totals['share_standard']:.1%}"
    )
    if report.unmapped:
        top = Table(title="Top unmapped source codes")
        for col in ("table", "source code", "rows"):
            top.add_column(col)
        for t, code, n in report.unmapped:
            top.add_row(t, code, f"{n:,}" if n is not None else "<10")
        out.print(top)


@app.command("attach")
def attach(
    source: Annotated[
        str,
        typer.Argument(
            help="An OMOP CDM: a DuckDB file, a folder of CSV (.gz) or Parquet, or a "
            "postgresql:// URL (with --schema)"
        ),
    ],
    schema: Annotated[
        str, typer.Option(help="Schema of the CDM in a DuckDB file or PostgreSQL database")
    ] = "main",
    home: Home = None,
    actor: Actor = "steward",
) -> None:
    """Bring an existing OMOP CDM under this node's governance (copied in, pseudonymised)."""
    with open_node(home) as node, err.status("attaching the CDM…"):
        is_url = "://" in source
        counts = node.attach_cdm(source if is_url else Path(source), actor=actor, schema=schema)
    table = Table(title=f"CDM attached ({len(counts)} tables)")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, n in counts.items():
        table.add_row(name, f"{n:,}")
    out.print(table)


@app.command("rotate-key")
def rotate_key(
    sources: Annotated[
        list[Path], typer.Argument(help="Every FHIR input loaded into this warehouse")
    ],
    home: Home = None,
    actor: Actor = "steward",
) -> None:
    """Re-key every pseudonym (warehouse ids, person tokens, vault) to a fresh secret key."""
    with open_node(home) as node:
        summary = node.rotate_pseudonym_key(sources, actor=actor)
    out.print(
        f"pseudonym key rotated: {summary.ids} ids re-keyed from {summary.files} files, "
        f"{summary.persons} vault identities; the old key is deleted"
    )
