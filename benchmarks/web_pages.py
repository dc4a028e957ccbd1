"""Latency of every web page on the demo data, signed in as the role that uses it.

Sets up a node with the demo lifecycle and one account per role, starts ``socle
serve`` on 127.0.0.1, then fetches each page ``--repeat`` times, one after the
other, and prints p50/p95 per page beside a baseline measured the same way in
the same run: the trivial ``/health`` route. Goal: p95 < 200 ms for every page.

    python benchmarks/run.py web_pages      # or: python benchmarks/web_pages.py --repeat 40
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import tempfile
import time
from pathlib import Path

import httpx
from api import REPO, pct, start_server

from socle.config import Settings
from socle.demo import run_demo, source_patient_ids
from socle.node import Node
from socle.web.accounts import Account, create_demo_accounts

# (user name or "" for the public, page path)
PAGES: tuple[tuple[str, str], ...] = (
    ("", "/web/"),
    ("", "/web/catalogue?variable=condition_concept_id"),
    ("", "/web/catalogue/{dataset}"),
    ("", "/web/register"),
    ("", "/web/committee"),
    ("", "/web/observatory"),
    ("", "/web/observatory/top/prediction"),
    ("", "/web/observatory/entries/{entry}"),
    ("patient@portal", "/web/patient"),
    ("researcher@lab", "/web/researcher"),
    ("researcher@lab", "/web/researcher/requests/new"),
    ("researcher@lab", "/web/researcher/requests/{request}"),
    ("researcher@lab", "/web/researcher/grants/{grant}"),
    ("researcher@lab", "/web/researcher/jobs/{job}"),
    ("chair@committee", "/web/committee/queue"),
    ("chair@committee", "/web/committee/requests/{request}"),
    ("checker1@output-desk", "/web/desk"),
    ("checker1@output-desk", "/web/desk/{output}"),
    ("dr.house@hospital", "/web/care"),
    ("college.chair@hospital", "/web/college"),
    ("college.chair@hospital", "/web/college/models/{model}"),
    ("auditor@hospital", "/web/audit?action=grant.issue"),
    ("steward@hospital", "/web/steward"),
)
JOB = """import pandas as pd
persons = pd.read_parquet("/job/extract/person.parquet")
pd.DataFrame({"persons": [len(persons)]}).to_csv("/job/output/persons.csv", index=False)
"""


def prepare(home: Path) -> tuple[dict[str, Account], dict[str, str]]:
    node = Node.open(Settings(home=home))
    try:
        sample = REPO / "data" / "sample"
        run_demo(node, sample)
        accounts = create_demo_accounts(node, source_patient_ids(sample)[1])
        grant = next(iter(node.audit.events("grant.issue"))).object
        script = home.parent / "count.py"
        script.write_text(JOB)
        ids = {
            "dataset": node.catalog.datasets()[0].id,
            "grant": grant,
            "request": node.governance.grant(grant).request_id,
            "output": node.desk.requests()[0].id,
            "model": node.models.models()[0].id,
            "entry": node.observatory.map()[0].id,
            "job": node.workspace.jobs.run(grant, script, actor="researcher@lab").id,
        }
        return {a.username: a for a in accounts}, ids
    finally:
        node.close()


def signed_in(base: str, account: Account | None) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=30)
    client.get("/web/signin")
    if account is not None:
        response = client.post(
            "/web/signin",
            data={"username": account.username, "password": account.password,
                  "csrf": client.cookies["socle_csrf"]},
        )  # fmt: skip
        assert response.status_code == 303, f"sign-in of {account.username} failed"
    return client


def timed(client: httpx.Client, path: str, repeat: int) -> list[float]:
    latencies = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(path)
        latencies.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, f"{path}: {response.status_code}"
    return latencies


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder) / "home"
        print("preparing the demo node…", flush=True)
        accounts, ids = prepare(home)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        server = start_server(home, port)
        base = f"http://127.0.0.1:{port}"
        try:
            with httpx.Client(base_url=base) as client:
                baseline = timed(client, "/health", args.repeat)
            print(f"{'page':48} {'first':>8} {'p50 ms':>8} {'p95 ms':>8} {'p95/health':>11}")
            print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
            print(f"{'/health (baseline)':48} {'':8} {pct(baseline, 50):8.1f} "
                  f"{pct(baseline, 95):8.1f}")  # fmt: skip
            worst = 0.0
            for user, template in PAGES:
                path = template.format(**ids)
                client = signed_in(base, accounts.get(user))
                try:
                    # The first view compiles the template and computes what is reused
                    # while its inputs are unchanged (web/cache.py): reported apart.
                    first = timed(client, path, 1)[0]
                    latencies = timed(client, path, args.repeat)
                finally:
                    client.close()
                p95 = pct(latencies, 95)
                worst = max(worst, p95)
                label = f"{path[:36]} ({user or 'public'})"[:48]
                print(f"{label:48} {first:8.1f} {pct(latencies, 50):8.1f} {p95:8.1f} "
                      f"{p95 / pct(baseline, 95):10.1f}x")  # fmt: skip
            print(f"worst page p95: {worst:.1f} ms (goal < 200 ms); load average "
                  f"{os.getloadavg()[0]:.1f}")  # fmt: skip
        finally:
            server.terminate()
            server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
