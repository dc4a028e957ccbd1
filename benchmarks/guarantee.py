"""Human guarantee: prediction latency with its explanation, and monitoring at volume.

1. ``HumanGuarantee.predict`` on a deployed model of the bundled sample: stage and
   restriction check, closed-form score and SHAP explanation (built once per artefact
   version from the hash-checked skops model), stored as pending with its audit event in
   one transaction. Baselines in the same run: the bare ``predict_proba`` of one row, the
   computation without storing, and one audited write alone (the floor a durable, audited
   prediction cannot go below). Goal: p95 < 50 ms.
2. ``Monitoring.report`` over 100,000 stored predictions (inputs drawn from the training
   set, a third decided by two clinicians, 5,000 with outcomes): drift per input and on
   scores, override rates per model/clinician/reason, calibration in practice, alerts.
   Baseline: reading the same rows from the store. Goal: < 10 s.

``python benchmarks/guarantee.py [N_PREDICTIONS] [--latency-only] [--normal-sync]`` (default
100000; ``--normal-sync``: the node's ``SOCLE_SQLITE_SYNCHRONOUS=normal``).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from sqlalchemy import select

from socle.ai import build_training_set
from socle.config import Settings
from socle.guarantee.service import outcome, prediction
from socle.node import Node

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from tests.conftest import SAMPLE  # noqa: E402
from tests.helpers import approved_grant, deploy  # noqa: E402

VARIABLES = (
    ("person", "year_of_birth"), ("person", "gender_concept_id"),
    ("condition_occurrence", "condition_source_value"), ("condition_occurrence", "condition_start_date"),
    ("measurement", "measurement_source_value"), ("measurement", "value_as_number"),
    ("measurement", "measurement_date"), ("observation_period", "observation_period_start_date"),
    ("observation_period", "observation_period_end_date"),
)  # fmt: skip


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values) * 1000, q))


def main() -> int:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    total = int(args[0]) if args else 100_000
    sync = "normal" if "--normal-sync" in sys.argv else "full"
    latency_only = "--latency-only" in sys.argv
    with tempfile.TemporaryDirectory() as home:
        node = Node.open(Settings(home=Path(home), sqlite_synchronous=sync))
        node.load(SAMPLE, actor="steward")
        grant = approved_grant(node, variables=VARIABLES, output_types=("model_training",))
        model_id = node.models.train(node.workspace, grant, actor="researcher").id
        deploy(node, model_id)
        with node.workspace.session(grant, "model_training", actor="researcher") as ws:
            data = build_training_set(ws)
        rows = [{f: (None if np.isnan(v) else float(v)) for f, v in zip(data.feature_names, x, strict=True)}
                for x in data.X]  # fmt: skip
        pipeline = node.models.load(model_id)

        base = []
        for x in data.X[:300]:
            t = time.perf_counter()
            pipeline.predict_proba(x.reshape(1, -1))
            base.append(time.perf_counter() - t)
        compute, floor, latencies = [], [], []
        for k in range(300):
            t = time.perf_counter()
            info = node.models.ready_for_care(model_id, "clinic")
            node.models.scorer(model_id, info).score(rows[k % len(rows)])
            compute.append(time.perf_counter() - t)
            t = time.perf_counter()
            node.audit.record(actor="dr.a", role="clinician", action="bench.write",
                              object=f"bench-{k}", details={"model": model_id})  # fmt: skip
            floor.append(time.perf_counter() - t)
            t = time.perf_counter()
            node.guarantee.predict(model_id, f"bench-{k}", rows[k % len(rows)],
                                   clinician="dr.a", care_context="clinic")  # fmt: skip
            latencies.append(time.perf_counter() - t)
        p50, p95, b95 = percentile(latencies, 50), percentile(latencies, 95), percentile(base, 95)
        c95, f95 = percentile(compute, 95), percentile(floor, 95)
        print(f"[sqlite synchronous={sync}, load average {os.getloadavg()[0]:.1f}] "
              f"predict + explanation + store + audit: p50 {p50:.1f} ms, p95 {p95:.1f} ms "
              f"(goal < 50 ms); bare predict_proba p95 {b95:.2f} ms; stage check + closed-form "
              f"score + SHAP p95 {c95:.2f} ms; one audited write alone p95 {f95:.1f} ms "
              f"({p95 / f95:.2f}x)")  # fmt: skip
        if latency_only:
            node.close()
            return 0

        rng = np.random.default_rng(0)
        picks = rng.integers(0, len(rows), total)
        scores = pipeline.predict_proba(data.X[picks])[:, 1]
        now = datetime.now(UTC)
        batch, outcomes = [], []
        for i, (pick, score) in enumerate(zip(picks, scores, strict=True)):
            status = "pending" if i % 3 else ("rejected" if i % 5 == 0 else "accepted")
            pid = f"pred-{uuid.uuid4().hex[:10]}"
            batch.append({
                "id": pid, "model_id": model_id, "patient": f"tok-{i}", "care_context": "clinic",
                "requested_by": "dr.a", "inputs": rows[int(pick)],
                "score": float(score), "explanation": {}, "status": status,
                "decided_by": None if status == "pending" else ("dr.a" if i % 2 else "dr.b"),
                "reason_code": "recent-data" if status == "rejected" else None,
                "created_at": now,
            })  # fmt: skip
            if i < 5000:
                outcomes.append({"prediction_id": pid, "occurred": bool(data.y[int(pick)]),
                                 "observed_on": now.date(), "source": "bench", "recorded_by": "s",
                                 "recorded_at": now})  # fmt: skip
        start = time.perf_counter()
        with node.engine.begin() as conn:
            conn.execute(prediction.insert(), batch)
            conn.execute(outcome.insert(), outcomes)
        print(f"stored {total:,} predictions in {time.perf_counter() - start:.1f} s (set-up)")

        start = time.perf_counter()
        with node.engine.connect() as conn:
            read = conn.execute(
                select(prediction.c.inputs, prediction.c.score, prediction.c.status)
                .where(prediction.c.model_id == model_id)
            ).all()  # fmt: skip
        baseline = time.perf_counter() - start
        start = time.perf_counter()
        report = node.monitoring.report(model_id, actor="college", role="college_member")
        seconds = time.perf_counter() - start
        print(f"monitoring over {report.predictions:,} predictions: {seconds:.2f} s (goal < 10 s); "
              f"reading the rows alone {baseline:.2f} s ({seconds / baseline:.1f}x); "
              f"{len(report.alerts)} alerts, {len(read):,} rows")  # fmt: skip
        node.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
