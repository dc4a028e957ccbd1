"""Light reads at 200 req/s on the REST API, with and without a slow workspace query in parallel.

Sets up the demo lifecycle on the 50-patient sample, clones its warehouse to
``--persons`` persons (so a workspace count takes long), starts ``socle serve``
on 127.0.0.1 and drives, open loop (request *i* starts at *i*/rate s), a mix of
light reads in turn — ``GET /health``, ``GET /catalog/datasets/{id}``,
``GET /consent/check``, ``GET /consent/persons/{id}`` (consent status),
``GET /grants/{id}`` (grant status), ``GET /auth/me``:

1. alone (the baseline, measured in the same run on the same server);
2. again while a researcher keeps ``--slow`` condition-count queries
   (``POST /workspaces/{grant}/condition-counts``) running back to back.

The figure is the p95 of the light reads during the slow queries, and its ratio
to the baseline's p95. Goal: p95 < 100 ms. ``--threads 1 8`` also measures one
read thread per process (``SOCLE_THREADS=1``: every call waits for the one before,
as the API did before it served concurrently). Traffic stays on loopback and is
bounded (rate x seconds requests per phase). The load average of the machine is
printed with the figures (the machine may be shared).

    python benchmarks/run.py api_concurrency   # or: python benchmarks/api_concurrency.py
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from _cohort import build
from api import PASSWORD, REPO, drive, pct, start_server

from socle.api import Role, UserStore
from socle.config import Settings
from socle.demo import DEMO_CONDITION, RESEARCHER, STEWARD, run_demo
from socle.node import Node

LIGHT = (
    "health", "catalog dataset", "consent check", "consent status", "grant status", "auth me",
)  # fmt: skip


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


def load_average() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


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
            steward, researcher = tokens[STEWARD], tokens[RESEARCHER]
            counts = {"condition": DEMO_CONDITION, "dims": ["sex", "age_band"]}
            t0 = time.perf_counter()
            first = await c.post(
                f"/workspaces/{grant_id}/condition-counts", json=counts, headers=researcher
            )
            assert first.status_code == 201, first.text
            alone = (time.perf_counter() - t0) * 1000

            calls: tuple[Callable[[int], Awaitable[httpx.Response]], ...] = (
                lambda i: c.get("/health"),
                lambda i: c.get(f"/catalog/datasets/{dataset_id}", headers=steward),
                lambda i: c.get(
                    "/consent/check", params={"person_id": 1 + i % 50, "purpose": "research"},
                    headers=steward,
                ),
                lambda i: c.get(f"/consent/persons/{1 + i % 50}", headers=steward),
                lambda i: c.get(f"/grants/{grant_id}", headers=researcher),
                lambda i: c.get("/auth/me", headers=steward),
            )  # fmt: skip

            # First views: a catalogue figure is computed on its first read after a start, a
            # load or a consent change, then reused (socle.figures); reported apart.
            first_views = {}
            for i, name in enumerate(LIGHT):
                sent = time.perf_counter()
                r = await calls[i](i)
                assert r.status_code == 200, f"{name}: {r.status_code} {r.text[:160]}"
                first_views[name] = (time.perf_counter() - sent) * 1000

            async def light_load() -> dict[str, Any]:
                by_kind: dict[str, list[float]] = {name: [] for name in LIGHT}

                async def light(i: int) -> httpx.Response:
                    sent = time.perf_counter()
                    try:
                        return await calls[i % len(calls)](i)
                    finally:
                        by_kind[LIGHT[i % len(calls)]].append((time.perf_counter() - sent) * 1000)

                latencies, errors, elapsed = await drive(c, light, rate, count)
                return {
                    "light": latencies, "errors": errors, "elapsed": elapsed, "by_kind": by_kind,
                    "load": load_average(),
                }  # fmt: skip

            baseline = await light_load()

            slow_ms: list[float] = []
            stop = asyncio.Event()

            async def slow_worker() -> None:
                while not stop.is_set():
                    sent = time.perf_counter()
                    r = await c.post(
                        f"/workspaces/{grant_id}/condition-counts", json=counts, headers=researcher
                    )
                    slow_ms.append((time.perf_counter() - sent) * 1000)
                    if r.status_code != 201:  # e.g. stopped at the workspace's time limit
                        print(f"  a slow count failed: {r.status_code} {r.text[:160]}")

            workers = [asyncio.create_task(slow_worker()) for _ in range(slow)]
            await asyncio.sleep(0.2)  # the slow queries are running
            loaded = await light_load()
            stop.set()
            await asyncio.gather(*workers)
            return {
                "baseline": baseline, "loaded": loaded, "slow": slow_ms, "alone": alone,
                "first": first_views,
            }  # fmt: skip
    finally:
        server.terminate()
        server.wait(timeout=60)


def report(threads: int, r: dict[str, Any]) -> float:
    base, loaded = r["baseline"], r["loaded"]
    print(f"\nread threads per process: {threads}")
    slow = r["slow"]
    print(
        f"  slow condition count: {r['alone']:.0f} ms alone; {len(slow)} ran during the light "
        f"load, median {pct(slow, 50) if len(slow) > 1 else slow[0]:.0f} ms"
    )
    firsts = ", ".join(f"{n} {ms:.0f} ms" for n, ms in r["first"].items())
    print(f"  first views (before the phases): {firsts}")
    print(
        f"  {'light read':16} {'base p50':>9} {'base p95':>9} {'slow p50':>9} {'slow p95':>9} "
        f"{'slow p99':>9} {'p95 ratio':>10}"
    )
    rows = [(n, base["by_kind"][n], loaded["by_kind"][n]) for n in LIGHT]
    for name, b, lat in [*rows, ("all light reads", base["light"], loaded["light"])]:
        print(
            f"  {name:16} {pct(b, 50):9.1f} {pct(b, 95):9.1f} {pct(lat, 50):9.1f} "
            f"{pct(lat, 95):9.1f} {pct(lat, 99):9.1f} {pct(lat, 95) / pct(b, 95):10.1f}"
        )
    for phase, res in (("baseline", base), ("with slow query", loaded)):
        print(
            f"  {phase}: {len(res['light']) / res['elapsed']:.1f} req/s, {res['errors']} errors, "
            f"load average {res['load']}"
        )
    p95: float = pct(loaded["light"], 95)
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
        print(f"load average before the runs: {load_average()} ({os.cpu_count()} cores)")
        results = {}
        for threads in args.threads:
            r = await measure(home, grant_id, dataset_id, threads, args.rate, count, args.slow)
            results[threads] = report(threads, r)
    best = max(args.threads)
    worst = results[best]
    others = "; ".join(f"{t} thread(s): {p:.1f} ms" for t, p in results.items() if t != best)
    print(
        f"\ngoal p95 < 100 ms for light reads beside a slow query, {best} threads: "
        f"{'met' if worst < 100 else 'NOT met'} (p95 {worst:.1f} ms{'; ' + others if others else ''})"
    )
    return 0 if worst < 100 else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=200.0, help="light requests per second")
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of each phase")
    parser.add_argument("--persons", type=int, default=300_000, help="warehouse size")
    parser.add_argument("--slow", type=int, default=1, help="slow queries kept running at once")
    parser.add_argument(
        "--threads", type=int, nargs="+", default=[8], help="read threads per process (runs)"
    )
    parser.add_argument(
        "--keep", type=Path, help="prepare the node in this folder once, reuse it on later runs"
    )
    sys.exit(asyncio.run(main(parser.parse_args())))
