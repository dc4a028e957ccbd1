"""Ingest benchmark: end-to-end FHIR → OMOP load against bare orjson parsing of the same files.

Runs two inputs: the Synthea set (``--source``, 50 patients) and ``--patients``
clones of it with new ids (every UUID gets a new prefix), written gzipped to a
temporary folder. Each load runs in a fresh child process so its peak RSS is
its own. Prints resources/s, patients/s, peak RSS and the ratio of ingest time
to orjson-only time (read + decompress + parse) measured in the same run, in
wall-clock seconds and in CPU seconds (the process's, DuckDB's threads
included): on a shared machine the wall ratio swings with the other users'
load, the CPU ratio much less.

With ``--without-notes`` the bundles lose their clinical notes first (every
DocumentReference, and each DiagnosticReport's ``presentedForm``), so the
figures are those of the structured ingest alone: note de-identification
(``socle.notes``) has its own benchmark, ``benchmarks/deid.py``.

    python benchmarks/run.py ingest
    python benchmarks/ingest.py --patients 5000
    python benchmarks/ingest.py --without-notes --patients 1000 \\
        --vocabulary /work/shared/data/omop-vocabulary-subset
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

DEFAULT_SOURCE = Path("/work/shared/data/synthea-fhir-r4")
UUID = re.compile(rb"\b[0-9a-f]{8}(-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\b")


def clone(source: Path, target: Path, patients: int) -> list[Path]:
    """Write ``patients`` gzipped bundles cloned from ``source`` with fresh ids."""
    originals = sorted(p for p in source.glob("*.json*") if p.name.endswith((".json", ".json.gz")))
    blobs = [
        gzip.decompress(p.read_bytes()) if p.name.endswith(".gz") else p.read_bytes()
        for p in originals
    ]
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for i in range(patients):
        prefix = f"{i:08x}".encode()
        data = UUID.sub(lambda m, p=prefix: p + m.group(1), blobs[i % len(blobs)])
        path = target / f"clone-{i:06d}.json.gz"
        path.write_bytes(gzip.compress(data, compresslevel=1))
        written.append(path)
    return written


def without_notes(source: Path, target: Path) -> Path:
    """A copy of ``source`` (sub-folders included) whose bundles carry no clinical note."""
    for path in sorted(source.rglob("*.json")):
        bundle = orjson.loads(path.read_bytes())
        kept = []
        for entry in bundle.get("entry", ()):
            resource = entry.get("resource") or {}
            if resource.get("resourceType") == "DocumentReference":
                continue
            if resource.get("resourceType") == "DiagnosticReport":
                resource = {k: v for k, v in resource.items() if k != "presentedForm"}
            kept.append({**entry, "resource": resource})
        out = target / path.relative_to(source)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(orjson.dumps({**bundle, "entry": kept}))
    return target


def parse_only(folder: Path) -> tuple[float, float, int]:
    """Wall and CPU seconds orjson alone takes to read, decompress and parse every bundle;
    resources seen."""
    from socle.ingest import input_files

    started, cpu = time.perf_counter(), time.process_time()
    resources = 0
    for path in input_files(folder):
        raw = path.read_bytes()
        if path.name.endswith(".gz"):
            raw = gzip.decompress(raw)
        resources += len(orjson.loads(raw).get("entry", ()))
    return time.perf_counter() - started, time.process_time() - cpu, resources


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def load_child(folder: Path, vocabulary: Path | None = None) -> None:
    """In a child process: load ``folder`` into a fresh node home; print figures as JSON.

    With ``vocabulary``, it is loaded first (not timed), so the timed load maps and
    routes every row to standard concepts as it commits.
    """
    from socle.ingest import ingest
    from socle.privacy import DateShift, IdentityVault, Pseudonymizer
    from socle.warehouse import Warehouse

    home = Path(tempfile.mkdtemp(prefix="socle-bench-"))
    warehouse = Warehouse(home / "warehouse.duckdb")
    pseudo = Pseudonymizer(b"b" * 32)
    vault = IdentityVault(home / "vault.sqlite", b"v" * 32, pseudo)
    if vocabulary:
        warehouse.load_vocabulary(vocabulary)
    started, cpu = time.perf_counter(), _cpu()
    summary = ingest(folder, warehouse, pseudo, vault, dates=DateShift(b"d" * 32))
    seconds, cpu = time.perf_counter() - started, _cpu() - cpu
    warehouse.close()
    vault.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    size = (home / "warehouse.duckdb").stat().st_size / 2**20
    shutil.rmtree(home)
    print(
        json.dumps(
            {
                "seconds": seconds,
                "cpu_seconds": cpu,
                "read": summary.totals()["read"],
                "quarantined": summary.totals()["quarantined"],
                "persons": summary.persons,
                "peak_rss_mib": peak,
                "warehouse_mib": size,
            }
        )
    )


def measure(label: str, folder: Path, vocabulary: Path | None = None) -> dict[str, float]:
    parse_s, parse_cpu, resources = parse_only(folder)
    extra = ["--vocabulary", str(vocabulary)] if vocabulary else []
    child = subprocess.run(
        [sys.executable, __file__, "--child", str(folder), *extra], capture_output=True, text=True
    )
    if child.returncode != 0:
        raise SystemExit(f"the load of {label} failed:\n{child.stderr[-3000:]}")
    out = child.stdout
    fig = json.loads(out.strip().splitlines()[-1])
    ratio = fig["seconds"] / parse_s
    cpu_ratio = fig["cpu_seconds"] / parse_cpu
    print(
        f"{label}: {fig['persons']} patients, {fig['read']} resources "
        f"({fig['quarantined']} quarantined)\n"
        f"  orjson only : {parse_s:8.1f} s  {resources / parse_s:10,.0f} resources/s\n"
        f"  ingest      : {fig['seconds']:8.1f} s  {fig['read'] / fig['seconds']:10,.0f} resources/s"
        f"  {fig['persons'] / fig['seconds']:8,.1f} patients/s\n"
        f"  peak RSS    : {fig['peak_rss_mib']:8.0f} MiB   warehouse file {fig['warehouse_mib']:.0f} MiB\n"
        f"  ratio ingest / orjson-only: {ratio:.2f}x wall, {cpu_ratio:.2f}x CPU "
        f"({fig['cpu_seconds']:.1f} s / {parse_cpu:.1f} s)",
        flush=True,
    )
    return {**fig, "parse_s": parse_s, "ratio": ratio, "cpu_ratio": cpu_ratio}


def _cloned(source: Path, folder: Path, patients: int) -> None:
    if folder.is_dir() and len(list(folder.glob("clone-*.json.gz"))) == patients:
        print(f"reusing {patients} cloned patients in {folder}")
        return
    shutil.rmtree(folder, ignore_errors=True)
    started = time.perf_counter()
    clone(source, folder, patients)
    print(f"cloned {patients} patients in {time.perf_counter() - started:.0f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--patients", type=int, default=5000, help="cloned patients (0: skip)")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--clones", type=Path, help="keep the clones in this folder (reused)")
    parser.add_argument(
        "--vocabulary", type=Path, help="load this OMOP vocabulary first (mapping is timed)"
    )
    parser.add_argument(
        "--without-notes", action="store_true", help="take the clinical notes out first"
    )
    args = parser.parse_args()
    if args.child:
        load_child(args.child, args.vocabulary)
        return 0
    if not args.source.is_dir():
        print(f"source folder {args.source} not found; pass --source", file=sys.stderr)
        return 2
    if args.without_notes:
        with tempfile.TemporaryDirectory(prefix="socle-plain-") as tmp:
            args.source = without_notes(args.source, Path(tmp))
            return _run(args)
    return _run(args)


def _run(args: argparse.Namespace) -> int:
    vocabulary = args.vocabulary
    measure(f"Synthea set ({args.source})", args.source, vocabulary)
    if args.patients and args.clones:
        _cloned(args.source, args.clones, args.patients)
        measure(f"{args.patients} cloned patients", args.clones, vocabulary)
    elif args.patients:
        with tempfile.TemporaryDirectory(prefix="socle-clones-") as tmp:
            _cloned(args.source, Path(tmp), args.patients)
            measure(f"{args.patients} cloned patients", Path(tmp), vocabulary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
