"""Load on the REST API: consent checks and prediction decisions at a fixed rate on loopback.

Sets up a node with the demo lifecycle (50 Synthea patients, a grant, a
model), starts ``socle serve`` on 127.0.0.1, creates the pending predictions
to decide, then sends an open-loop load (requests start on schedule, whatever
the latency) for a bounded time. Prints throughput and p50/p95/p99 per
endpoint, and the ratio of p95 to a baseline: the trivial /health endpoint
driven at the same rate in the same run. Goal: p95 < 100 ms at 200 req/s.

    python benchmarks/run.py api        # or: python benchmarks/api.py --rate 200 --seconds 10
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from socle.api import Role, UserStore
from socle.config import Settings
from socle.demo import run_demo
from socle.node import Node

REPO = Path(__file__).resolve().parents[1]
PASSWORD = "benchmark password 0123"
INPUTS = {"age": 58.0, "male": 1.0, "bmi": 31.2, "systolic_bp": 142.0, "glucose": None}


def prepare(home: Path) -> tuple[str, list[int]]:
    """The demo lifecycle on the sample, plus a steward and a clinician account."""
    secrets_dir = home / "secrets"  # a fixed pseudonym key: the same train/test split every run
    secrets_dir.mkdir(parents=True, mode=0o700)
    (secrets_dir / "pseudonym.key").write_bytes(bytes(range(32)))
    (secrets_dir / "pseudonym.key").chmod(0o600)
    node = Node.open(Settings(home=home))
    try:
        run = run_demo(node, REPO / "data" / "sample")
        users = UserStore(node.engine, node.audit)
        users.create("steward", PASSWORD, frozenset({Role.DATA_STEWARD}), actor="bench")
        users.create(
            "clinician", PASSWORD, frozenset({Role.CLINICIAN}), care_contexts=("gp-clinic",),
            actor="bench",
        )  # fmt: skip
        return run.model_id, run.objectors
    finally:
        node.close()


def start_server(home: Path, port: int, **settings: str) -> subprocess.Popen[bytes]:
    """``socle serve`` on loopback with ``SOCLE_<NAME>`` settings only from ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOCLE_")}
    env.update({f"SOCLE_{name.upper()}": value for name, value in settings.items()})
    server = subprocess.Popen(
        [sys.executable, "-c", "from socle.cli import main; main()", "serve", "--home", str(home),
         "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=(home.parent / "server.log").open("ab"),
    )  # fmt: skip
    deadline = time.monotonic() + 300  # a shared machine may be slow to start it
    while time.monotonic() < deadline and server.poll() is None:
        try:
            httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)
            return server
        except httpx.TransportError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit(f"socle serve did not start (see {home.parent / 'server.log'})")


async def drive(
    client: httpx.AsyncClient, make: Callable[[int], Any], rate: float, count: int
) -> tuple[list[float], int, float]:
    """Start request ``i`` at ``i / rate`` s (open loop); return latencies (ms), errors, elapsed."""
    latencies: list[float] = []
    errors = 0

    async def one(i: int) -> None:
        nonlocal errors
        await asyncio.sleep(max(0.0, start + i / rate - time.perf_counter()))
        sent = time.perf_counter()
        try:
            response = await make(i)
            errors += response.status_code >= 400
        except httpx.TransportError:  # e.g. no connection within the timeout: an error too
            errors += 1
        latencies.append((time.perf_counter() - sent) * 1000)

    start = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(count)))
    return latencies, errors, time.perf_counter() - start


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


async def measure(
    home: Path, model_id: str, persons: list[int], rate: float, count: int, synchronous: str
) -> dict[str, tuple[list[float], int, float]]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = start_server(home, port, sqlite_synchronous=synchronous)
    print(f"socle serve on 127.0.0.1:{port} (log: {home.parent / 'server.log'})")
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
    try:
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=60
        ) as c:
            tokens = {}
            for user in ("steward", "clinician"):
                r = await c.post("/auth/token", json={"username": user, "password": PASSWORD})
                assert r.status_code == 200, (r.text, (home.parent / "server.log").read_text())
                tokens[user] = {"Authorization": f"Bearer {r.json()['access_token']}"}
            pending = []
            body = {"model_id": model_id, "patient": "person-bench", "care_context": "gp-clinic",
                    "inputs": INPUTS}  # fmt: skip
            t0 = time.perf_counter()
            for _ in range(count):
                r = await c.post("/predictions", json=body, headers=tokens["clinician"])
                assert r.status_code == 201, r.text
                pending.append(r.json()["id"])
            print(f"created {count} pending predictions in {time.perf_counter() - t0:.1f} s")

            def health(i: int) -> Any:
                return c.get("/health")

            def consent(i: int) -> Any:
                params = {"person_id": persons[i % len(persons)], "purpose": "research"}
                return c.get("/consent/check", params=params, headers=tokens["steward"])

            def decision(i: int) -> Any:
                verdict = {"decision": "accepted", "reason": "Consistent with the record."}
                return c.post(f"/predictions/{pending[i]}/decision", json=verdict,
                              headers=tokens["clinician"])  # fmt: skip

            results = {}
            for name, make in (("health (baseline)", health), ("consent check", consent),
                               ("prediction decision", decision)):  # fmt: skip
                results[name] = await drive(c, make, rate, count)
            return results
    finally:
        server.terminate()
        server.wait(timeout=30)


def report(results: dict[str, tuple[list[float], int, float]], rate: float, mode: str) -> None:
    base_p95 = pct(results["health (baseline)"][0], 95)
    count = len(results["health (baseline)"][0])
    print(f"\nSQLite synchronous={mode}: {count} requests per endpoint at {rate:.0f} req/s")
    print(f"{'endpoint':22} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7} "
          f"{'p95/base':>9}")  # fmt: skip
    for name, (lat, errors, elapsed) in results.items():
        p95 = pct(lat, 95)
        print(f"{name:22} {len(lat) / elapsed:7.1f} {pct(lat, 50):8.1f} {p95:8.1f} "
              f"{pct(lat, 99):8.1f} {errors:7d} {p95 / base_p95:9.1f}")  # fmt: skip
    worst = max(pct(results[n][0], 95) for n in ("consent check", "prediction decision"))
    print(f"goal p95 < 100 ms: {'met' if worst < 100 else 'NOT met'} (worst p95 {worst:.1f} ms)")


async def main(rate: float, seconds: float, modes: list[str]) -> None:
    count = int(rate * seconds)
    with tempfile.TemporaryDirectory(prefix="socle-bench-") as tmp:
        home = Path(tmp) / "home"
        print(f"preparing the node (demo lifecycle on {REPO / 'data' / 'sample'}) ...", flush=True)
        model_id, objectors = prepare(home)
        for mode in modes:
            results = await measure(home, model_id, [*objectors, 1, 2, 3], rate, count, mode)
            report(results, rate, mode)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=200.0, help="requests per second")
    parser.add_argument("--seconds", type=float, default=10.0, help="duration per endpoint")
    parser.add_argument(
        "--sqlite-synchronous", nargs="+", choices=["full", "normal"], default=["full", "normal"],
        help="SQLite commit sync mode(s) of the governance store to measure",
    )  # fmt: skip
    args = parser.parse_args()
    asyncio.run(main(args.rate, args.seconds, args.sqlite_synchronous))
