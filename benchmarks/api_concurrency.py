"""Light reads at 200 req/s on the REST API while slow workspace queries run in parallel.

Sets up the demo lifecycle on the 50-patient sample, clones its warehouse to
``--persons`` persons (so a workspace count takes long), starts ``socle serve``
on 127.0.0.1 and measures, open loop (request *i* starts at *i*/rate s):

1. ``GET /health`` alone (the baseline);
2. a mix of light reads — ``GET /consent/check``, ``GET /catalog/datasets/{id}``,
   ``GET /auth/me``, ``GET /consent/purposes`` in turn — while a researcher keeps
   ``--slow`` condition-count queries (``POST /workspaces/{grant}/condition-counts``)
   running back to back.

It does so once with one read thread per process (``SOCLE_THREADS=1``: every call
waits for the one before, as the API did before it served concurrently) and once
with the default pool. Goal: p95 < 100 ms for the light reads. Traffic stays on
loopback and is bounded (rate x seconds requests).

    python benchmarks/run.py api_concurrency   # or: python benchmarks/api_concurrency.py
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from _cohort import build
from api import PASSWORD, REPO, drive, pct, start_server

from socle.api import Role, UserStore
from socle.config import Settings
from socle.demo import DEMO_CONDITION, RESEARCHER, STEWARD, run_demo
from socle.node import Node

LIGHT = ("consent check", "catalog dataset", "auth me", "consent purposes")


def prepare(home: Path, persons: int) -> tuple[str, str]:
    """The demo lifecycle, a warehouse grown to ``persons``, and the two accounts; returns the
    grant and the dataset ids."""
    node = Node.open(Settings(home=home))
    try:
        run = run_demo(node, REPO / "data" / "sample")
        users = UserStore(node.engine, node.audit)
        users.create(STEWARD, PASSWORD, frozenset({Role.DATA_STEWARD}), actor="bench")
        users.create(RESEARCHER, PASSWORD, frozenset({Role.RESEARCHER}), actor="bench")
        dataset_id = node.catalog.datasets()[0].id
    finally:
        node.close()
    grown = home.parent / "grown.duckdb"
    grown.write_bytes((home / "warehouse.duckdb").read_bytes())
    build(grown, persons)
    grown.replace(home / "warehouse.duckdb")
    return run.grant_id, dataset_id


async def measure(
    home: Path, grant_id: str, dataset_id: str, threads: int, rate: float, count: int, slow: int
) -> dict[str, Any]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = start_server(home, port, threads=str(threads))
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    try:
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}",
            limits=limits,
            timeout=httpx.Timeout(120, pool=None),
        ) as c:
            tokens = {}
            for user in (STEWARD, RESEARCHER):
                r = await c.post("/auth/token", json={"username": user, "password": PASSWORD})
                assert r.status_code == 200, r.text
                tokens[user] = {"Authorization": f"Bearer {r.json()['access_token']}"}
            steward = tokens[STEWARD]
            counts = {"condition": DEMO_CONDITION, "dims": ["sex", "age_band"]}
            t0 = time.perf_counter()
            first = await c.post(
                f"/workspaces/{grant_id}/condition-counts", json=counts, headers=tokens[RESEARCHER]
            )
            assert first.status_code == 201, first.text
            alone = (time.perf_counter() - t0) * 1000

            health, _, _ = await drive(c, lambda i: c.get("/health"), rate, count)

            calls = (
                lambda i: c.get(
                    "/consent/check", params={"person_id": 1 + i % 50, "purpose": "research"},
                    headers=steward,
                ),
                lambda i: c.get(f"/catalog/datasets/{dataset_id}", headers=steward),
                lambda i: c.get("/auth/me", headers=steward),
                lambda i: c.get("/consent/purposes", headers=steward),
            )  # fmt: skip
            by_kind: dict[str, list[float]] = {name: [] for name in LIGHT}
            slow_ms: list[float] = []
            stop = asyncio.Event()

            async def slow_worker() -> None:
                while not stop.is_set():
                    sent = time.perf_counter()
                    r = await c.post(
                        f"/workspaces/{grant_id}/condition-counts", json=counts,
                        headers=tokens[RESEARCHER],
                    )  # fmt: skip
                    assert r.status_code == 201, r.text
                    slow_ms.append((time.perf_counter() - sent) * 1000)

            async def light(i: int) -> Any:
                sent = time.perf_counter()
                response = await calls[i % len(calls)](i)
                by_kind[LIGHT[i % len(calls)]].append((time.perf_counter() - sent) * 1000)
                return response

            workers = [asyncio.create_task(slow_worker()) for _ in range(slow)]
            await asyncio.sleep(0.2)  # the slow queries are running
            latencies, errors, elapsed = await drive(c, light, rate, count)
            stop.set()
            await asyncio.gather(*workers)
            return {
                "health": health, "light": latencies, "errors": errors, "elapsed": elapsed,
                "by_kind": by_kind, "slow": slow_ms, "alone": alone,
            }  # fmt: skip
    finally:
        server.terminate()
        server.wait(timeout=60)


def report(threads: int, r: dict[str, Any]) -> float:
    base = pct(r["health"], 95)
    print(f"\nread threads per process: {threads}")
    print(f"  baseline GET /health alone: p50 {pct(r['health'], 50):.1f} ms, p95 {base:.1f} ms")
    print(
        f"  slow condition counts: {r['alone']:.0f} ms alone; {len(r['slow'])} ran during the "
        f"light load, median {pct(r['slow'], 50) if len(r['slow']) > 1 else r['slow'][0]:.0f} ms"
    )
    print(f"  {'light read':18} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'p95/base':>9}")
    for name, lat in [*r["by_kind"].items(), ("all light reads", r["light"])]:
        print(
            f"  {name:18} {pct(lat, 50):8.1f} {pct(lat, 95):8.1f} {pct(lat, 99):8.1f} "
            f"{pct(lat, 95) / base:9.1f}"
        )
    print(f"  {len(r['light']) / r['elapsed']:.1f} req/s, {r['errors']} errors")
    p95: float = pct(r["light"], 95)
    return p95


async def main(args: argparse.Namespace) -> int:
    count = int(args.rate * args.seconds)
    with tempfile.TemporaryDirectory(prefix="socle-bench-") as tmp:
        home = (args.keep or Path(tmp)) / "home"
        ids = home.parent / "ids.txt"
        if ids.exists():  # prepared by an earlier run with the same --keep
            grant_id, dataset_id = ids.read_text().split()
        else:
            print(f"preparing: demo lifecycle, warehouse grown to {args.persons:,} persons ...")
            grant_id, dataset_id = prepare(home, args.persons)
            ids.write_text(f"{grant_id} {dataset_id}")
        results = {}
        for threads in (1, args.threads):
            r = await measure(home, grant_id, dataset_id, threads, args.rate, count, args.slow)
            results[threads] = report(threads, r)
    worst = results[args.threads]
    print(
        f"\ngoal p95 < 100 ms for light reads with {args.threads} threads: "
        f"{'met' if worst < 100 else 'NOT met'} (p95 {worst:.1f} ms; one thread: "
        f"{results[1]:.1f} ms)"
    )
    return 0 if worst < 100 else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=200.0, help="light requests per second")
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of the light load")
    parser.add_argument("--persons", type=int, default=300_000, help="warehouse size")
    parser.add_argument("--slow", type=int, default=1, help="slow queries kept running at once")
    parser.add_argument("--threads", type=int, default=8, help="read threads per process")
    parser.add_argument(
        "--keep", type=Path, help="prepare the node in this folder once, reuse it on later runs"
    )
    sys.exit(asyncio.run(main(parser.parse_args())))
