"""Audit log: append rate and end-to-end verification time, on SQLite, for 1,000,000 events.

Figures printed:

- ``record``: one event per transaction (``AuditLog.record``), each commit durable;
- ``append``: single appends joining one open transaction (``AuditLog.append``);
- ``append_many``: batched appends, one transaction per batch of 10,000 events;
- ``verify``: ``AuditLog.verify()`` over the whole log (read, decode, re-hash, chain);
- baseline: raw ``hashlib.sha256`` of the same canonical payloads, with no store;
- sealing: ``append_many`` and ``verify`` of a sealed log (HMAC per event, anchor file)
  against an unsealed one of the same size, in the same run (``SOCLE_BENCH_AUDIT_SEALED``
  events, default 200,000).

Run: ``python benchmarks/run.py audit`` (``SOCLE_BENCH_AUDIT_EVENTS`` to change the size).
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import orjson

from socle.audit import AuditLog, Seal
from socle.node import store_tables
from socle.store import create_tables, open_engine

EVENTS = int(os.environ.get("SOCLE_BENCH_AUDIT_EVENTS", "1000000"))
SEALED = int(os.environ.get("SOCLE_BENCH_AUDIT_SEALED", "200000"))
BATCH = 10_000
SINGLE = 2_000
ACTIONS = ("workspace.open", "request.submitted", "consent.record", "guarantee.decide")


def event(i: int) -> dict[str, object]:
    return {
        "actor": f"user{i % 97}@site",
        "role": "researcher",
        "action": ACTIONS[i % len(ACTIONS)],
        "object": f"grant-{i % 1000:010d}",
        "purpose": "research",
        "details": {"rows": i % 500, "excluded_by_consent": i % 7},
    }


def rate(n: int, seconds: float) -> str:
    return f"{n:>9,} events in {seconds:7.2f} s = {n / seconds:>10,.0f} events/s"


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_tables(
            open_engine(f"sqlite:///{Path(tmp) / 'bench.sqlite'}"), store_tables()
        )
        log = AuditLog(engine)

        t = time.perf_counter()
        for i in range(SINGLE):
            log.record(**event(i))  # type: ignore[arg-type]
        t_record = time.perf_counter() - t

        t = time.perf_counter()
        with engine.begin() as conn:
            for i in range(SINGLE, 2 * SINGLE):
                log.append(conn, **event(i))  # type: ignore[arg-type]
        t_append = time.perf_counter() - t

        done = 2 * SINGLE
        t = time.perf_counter()
        while done < EVENTS:
            n = min(BATCH, EVENTS - done)
            with engine.begin() as conn:
                log.append_many(conn, (event(i) for i in range(done, done + n)))
            done += n
        t_many = time.perf_counter() - t
        many = EVENTS - 2 * SINGLE

        t = time.perf_counter()
        verification = log.verify()
        t_verify = time.perf_counter() - t
        assert verification.events == EVENTS, verification

        at = datetime.now(UTC).isoformat(timespec="microseconds")
        t = time.perf_counter()
        prev = "0" * 64
        for i in range(EVENTS):
            body = {**event(i), "seq": i + 1, "at": at, "outcome": "ok", "prev_hash": prev}
            prev = hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()
        t_raw = time.perf_counter() - t
        size = (Path(tmp) / "bench.sqlite").stat().st_size
        engine.dispose()

    print(f"audit log on SQLite (WAL), {EVENTS:,} events, {size / 2**20:.0f} MiB")
    print(f"record (1 tx/event)    {rate(SINGLE, t_record)}")
    print(f"append (1 tx)          {rate(SINGLE, t_append)}")
    print(f"append_many (10k/tx)   {rate(many, t_many)}   goal >= 10,000/s")
    print(f"verify                 {rate(EVENTS, t_verify)}   goal < 30 s")
    print(f"baseline raw sha256    {rate(EVENTS, t_raw)}")
    print(
        f"ratio append_many / raw sha256 chain: {t_many / many / (t_raw / EVENTS):.1f}x slower; "
        f"verify / raw sha256 chain: {t_verify / t_raw:.1f}x slower"
    )
    plain, sealed = sealing_cost(None), sealing_cost(b"k" * 16 + os.urandom(16))
    for name, t in (("unsealed", plain), ("sealed", sealed)):
        print(f"{name:<9} record {rate(SINGLE // 4, t[0])}")
        print(f"{name:<9} append_many {rate(SEALED, t[1])};  verify {rate(SEALED, t[2])}")
    print(
        f"ratio sealed / unsealed: record {sealed[0] / plain[0]:.2f}x, "
        f"append_many {sealed[1] / plain[1]:.2f}x, verify {sealed[2] / plain[2]:.2f}x"
    )
    ok = many / t_many >= 10_000 and t_verify < 30
    print("goals met" if ok else "GOALS NOT MET")
    return 0 if ok else 1


def sealing_cost(key: bytes | None) -> tuple[float, float, float]:
    """Seconds to record ``SINGLE // 4`` events one commit each (each commit also anchors the
    head when sealed), to append ``SEALED`` events in batches, then to verify them all."""
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_tables(
            open_engine(f"sqlite:///{Path(tmp) / 'seal.sqlite'}"), store_tables()
        )
        log = AuditLog(engine, Seal(key, Path(tmp) / "anchors.jsonl") if key else None)
        t = time.perf_counter()
        for i in range(SINGLE // 4):
            log.record(**event(i))  # type: ignore[arg-type]
        t_record = time.perf_counter() - t
        t = time.perf_counter()
        for start in range(0, SEALED, BATCH):
            with engine.begin() as conn:
                n = min(BATCH, SEALED - start)
                log.append_many(conn, (event(i) for i in range(start, start + n)))
        t_append = time.perf_counter() - t
        t = time.perf_counter()
        assert log.verify().events == SEALED + SINGLE // 4
        t_verify = time.perf_counter() - t
        engine.dispose()
    return t_record, t_append, t_verify


if __name__ == "__main__":
    sys.exit(main())
