"""FHIR Bulk Data at national scale: split by patient, one DuckDB load per partition, merged Parquet.

A Bulk Data export (``Patient.ndjson``, ``Condition.ndjson``, …) is split into
``partitions`` folders by the patient each resource belongs to (its own id for a
Patient; ``subject``, ``patient`` or ``beneficiary`` otherwise), so a person's
whole record lands in one partition and derived tables (observation periods,
eras) come out as in a single load. Resources of no patient (practitioners,
organisations, locations) go to every partition: each partition resolves its
references, and the merge keeps one copy. FHIR Bundles go whole to one
partition.

Each partition is loaded by the ordinary loader (:func:`socle.ingest.ingest`:
the same validation, quarantine, mapping rules, keyed pseudonyms, date shift,
and the identity vault written by this process) into a DuckDB file of its own,
then exported into one Parquet CDM (:mod:`socle.warehouse.parquet`), partitioned
by person. Partitions run one after another here; they are independent, so a
scheduler can run them on many machines with the same keys. The CDM replaces
the target folder only once every partition has loaded.
"""

from __future__ import annotations

import gzip
import shutil
import zlib
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson

from socle.ingest.loader import ingest
from socle.ingest.reader import ReadLimits, input_files
from socle.ingest.summary import LoadSummary
from socle.privacy import DateShift, IdentityVault, Pseudonymizer
from socle.warehouse import DEFAULT_BUCKETS, ParquetCDM, Warehouse, merge_parquet

PATIENT_FIELDS = ("subject", "patient", "beneficiary")


@dataclass
class BulkSummary:
    """The partitions' load summaries and the merged CDM."""

    partitions: list[LoadSummary] = field(default_factory=list)
    cdm: ParquetCDM | None = None

    def totals(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for summary in self.partitions:
            for key, value in summary.totals().items():
                totals[key] = totals.get(key, 0) + value
        return totals

    @property
    def persons(self) -> int:
        return sum(s.persons for s in self.partitions)

    def reconciles(self) -> bool:
        return all(s.reconciles() for s in self.partitions)


def patient_of(resource: dict[str, Any]) -> str | None:
    """The id of the patient a resource belongs to (``None``: a shared, directory resource)."""
    if resource.get("resourceType") == "Patient":
        return str(resource.get("id", ""))
    for name in PATIENT_FIELDS:
        ref = resource.get(name)
        if isinstance(ref, dict) and isinstance(ref.get("reference"), str):
            text: str = ref["reference"]
            return text[9:] if text.startswith("urn:uuid:") else text.rsplit("/", 1)[-1]
    return None


def partition_of(key: str, partitions: int) -> int:
    return zlib.crc32(key.encode()) % partitions


def split_by_patient(source: Path, work: Path, partitions: int) -> list[Path]:
    """Write ``source``'s files into ``partitions`` folders under ``work``, routed by patient.

    A line that is not JSON goes to the first partition, whose load quarantines it.
    """
    folders = [work / f"part-{k:04d}" for k in range(partitions)]
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
    for file in input_files(source):
        if ".ndjson" not in file.name:
            shutil.copy(file, folders[partition_of(file.name, partitions)] / file.name)
            continue
        name = file.name.removesuffix(".gz")
        with ExitStack() as stack:
            outs: dict[int, IO[bytes]] = {}
            stream = stack.enter_context(
                gzip.open(file, "rb") if file.name.endswith(".gz") else file.open("rb")  # noqa: SIM115
            )
            for line in stream:
                if not line.strip():
                    continue
                for k in _targets(line, partitions):
                    if k not in outs:
                        outs[k] = stack.enter_context((folders[k] / name).open("ab"))
                    outs[k].write(line if line.endswith(b"\n") else line + b"\n")
    return folders


def _targets(line: bytes, partitions: int) -> range | tuple[int]:
    try:
        resource = orjson.loads(line)
    except orjson.JSONDecodeError:
        return (0,)
    patient = patient_of(resource) if isinstance(resource, dict) else None
    if patient is None:
        return range(partitions)  # shared resources: every partition resolves them
    return (partition_of(patient, partitions),)


def ingest_partitioned(
    source: Path,
    target: Path,
    pseudo: Pseudonymizer,
    vault: IdentityVault,
    *,
    dates: DateShift,
    work: Path,
    partitions: int = 4,
    buckets: int = DEFAULT_BUCKETS,
    vocabulary: Path | None = None,
    limits: ReadLimits | None = None,
    on_partition: Callable[[int, LoadSummary], None] | None = None,
) -> BulkSummary:
    """Load ``source`` partition by partition and publish one Parquet CDM at ``target``.

    ``vocabulary`` (an Athena folder, as for ``socle warehouse load-vocabulary``)
    is loaded into each partition before its load, so rows are mapped to
    standard concepts as in the node's warehouse. ``work`` holds the split input
    and the partitions' DuckDB files, removed at the end.
    """
    summary = BulkSummary()
    staged = target.with_name(f".{target.name}.bulk")
    shutil.rmtree(staged, ignore_errors=True)
    try:
        folders = split_by_patient(source, work / "input", partitions)
        for k, folder in enumerate(folders):
            if not any(folder.iterdir()):
                continue
            path = work / f"part-{k:04d}.duckdb"
            with Warehouse(path) as warehouse:
                if vocabulary is not None:
                    warehouse.load_vocabulary(vocabulary)
                loaded = ingest(folder, warehouse, pseudo, vault, dates=dates, limits=limits)
                warehouse.export_parquet(
                    staged, buckets=buckets, tag=f"p{k:04d}", append=bool(summary.partitions)
                )
            path.unlink(missing_ok=True)
            summary.partitions.append(loaded)
            if on_partition:
                on_partition(k, loaded)
        summary.cdm = merge_parquet(staged, target)
        return summary
    finally:
        shutil.rmtree(staged, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)
