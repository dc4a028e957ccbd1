"""Ingest memory benchmark: one large Bundle read whole versus streamed; a gzip bomb.

Builds one gzipped Bundle of about ``--mib`` MiB (decompressed) from clones of
the Synthea set (fresh ids), then loads it in fresh child processes:

- *whole*: ``ingest_memory_mb`` above the file's size, so it is parsed at once
  with orjson (what every file was before streaming: the baseline);
- *streamed*: ``ingest_memory_mb`` = 64, so entries are streamed with ijson (yajl2_c).

and a gzip bomb that expands to ``--bomb-mib`` MiB of blanks, loaded with
``ingest_max_file_mb`` = 1024 beside one good bundle. Prints seconds and peak RSS
of each child, and the ratios streamed / whole.

    python benchmarks/run.py ingest_memory
    python benchmarks/ingest_memory.py --mib 200 --bomb-mib 3072
"""

from __future__ import annotations

import argparse
import gzip
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingest import DEFAULT_SOURCE, UUID


def big_bundle(source: Path, target: Path, mib: int) -> int:
    """Write one gzipped Bundle of at least ``mib`` MiB of JSON; return its decompressed size."""
    blobs = [
        gzip.decompress(p.read_bytes()) if p.name.endswith(".gz") else p.read_bytes()
        for p in _bundles(source)
    ]
    size, i = 0, 0
    with gzip.open(target, "wb", compresslevel=1) as out:
        out.write(b'{"resourceType": "Bundle", "type": "collection", "entry": [')
        while size < mib << 20:
            prefix = f"{i:08x}".encode()
            data = UUID.sub(lambda m, p=prefix: p + m.group(1), blobs[i % len(blobs)])
            entries = orjson.loads(data)["entry"]
            for entry in entries:
                chunk = (b"," if size else b"") + orjson.dumps(entry)
                out.write(chunk)
                size += len(chunk)
            i += 1
        out.write(b"]}")
    return size


def _bundles(source: Path) -> list[Path]:
    return sorted(p for p in source.glob("*.json*") if p.name.endswith((".json", ".json.gz")))


def bomb(target: Path, mib: int) -> None:
    with gzip.open(target, "wb", compresslevel=9) as f:
        f.write(b'{"resourceType": "Bundle", "entry": [')
        blank = b" " * (1 << 20)
        for _ in range(mib):
            f.write(blank)
        f.write(b"]}")


def child(folder: Path, max_file_mb: int, memory_mb: int) -> None:
    """In a child process: load ``folder`` with these limits; print figures as JSON."""
    from socle.ingest import ReadLimits, ingest
    from socle.privacy import DateShift, IdentityVault, Pseudonymizer
    from socle.warehouse import Warehouse

    home = Path(tempfile.mkdtemp(prefix="socle-bench-"))
    warehouse = Warehouse(home / "warehouse.duckdb")
    pseudo = Pseudonymizer(b"b" * 32)
    vault = IdentityVault(home / "vault.sqlite", b"v" * 32, pseudo)
    started = time.perf_counter()
    summary = ingest(
        folder, warehouse, pseudo, vault, dates=DateShift(b"d" * 32),
        limits=ReadLimits.from_mebibytes(max_file_mb, memory_mb),
    )  # fmt: skip
    seconds = time.perf_counter() - started
    warehouse.close()
    vault.close()
    shutil.rmtree(home)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t = summary.totals()
    print(json.dumps({"seconds": seconds, "peak_rss_mib": peak, **t, "persons": summary.persons}))


def run(label: str, folder: Path, max_file_mb: int, memory_mb: int) -> dict[str, float]:
    args = [sys.executable, __file__, "--child", str(folder), str(max_file_mb), str(memory_mb)]
    done = subprocess.run(args, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{label} failed:\n{done.stderr[-3000:]}")
    fig: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    print(
        f"  {label:<28} {fig['seconds']:7.1f} s   peak RSS {fig['peak_rss_mib']:6.0f} MiB   "
        f"{fig['read']:,.0f} read, {fig['loaded']:,.0f} loaded, {fig['quarantined']:,.0f} "
        f"quarantined, {fig['persons']:,.0f} persons",
        flush=True,
    )
    return fig


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--mib", type=int, default=200, help="size of the large Bundle")
    parser.add_argument("--bomb-mib", type=int, default=3072, help="expansion of the gzip bomb")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(Path(args.child[0]), int(args.child[1]), int(args.child[2]))
        return 0
    if not args.source.is_dir():
        print(f"source folder {args.source} not found; pass --source", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="socle-bigbundle-") as tmp:
        folder = Path(tmp) / "big"
        folder.mkdir()
        size = big_bundle(args.source, folder / "big.json.gz", args.mib)
        on_disk = (folder / "big.json.gz").stat().st_size
        print(f"one Bundle: {size / 2**20:.0f} MiB of JSON ({on_disk / 2**20:.0f} MiB gzipped)")
        whole = run("whole (orjson, baseline)", folder, 4096, 4096)
        streamed = run("streamed (ijson, 64 MiB)", folder, 4096, 64)
        print(
            f"  ratio streamed / whole: time {streamed['seconds'] / whole['seconds']:.2f}x, "
            f"peak RSS {streamed['peak_rss_mib'] / whole['peak_rss_mib']:.2f}x"
        )
        bombs = Path(tmp) / "bomb"
        bombs.mkdir()
        bomb(bombs / "bomb.json.gz", args.bomb_mib)
        good = _bundles(args.source)[0]
        shutil.copy(good, bombs / ("good.json.gz" if good.name.endswith(".gz") else "good.json"))
        on_disk = (bombs / "bomb.json.gz").stat().st_size
        print(f"gzip bomb: {on_disk / 2**20:.1f} MiB on disk, {args.bomb_mib} MiB decompressed")
        run("bomb + 1 bundle (1024 MiB cap)", bombs, 1024, 256)
    return 0


if __name__ == "__main__":
    sys.exit(main())
