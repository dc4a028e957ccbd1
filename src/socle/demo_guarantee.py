"""The demo's model lifecycle under human guarantee (``socle demo``, steps 7c-8).

The committee validates the model, the college deploys it, clinicians score
patients and decide with published reasons, decisions leave as FHIR, outcomes
are linked, monitoring reports; then a later load from a new laboratory system
sends glucose in mmol/L instead of mg/dL, monitoring raises a drift alert, the
college reviews and suspends the model, and the next prediction is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import orjson

from socle.ai import ModelSuspendedError, TrainingSet, build_training_set, definition
from socle.guarantee import decisions_bundle
from socle.node import Node

COLLEGE = ("college.chair@hospital", "college.nurse@hospital")
CLINICIANS = ("dr.house@hospital", "dr.grey@hospital")
CARE = "gp-clinic"
MAX_PREDICTIONS = 300  # one per index date of the training set, as a clinic would send them
MG_PER_MMOL = 18.0  # glucose: mg/dL = 18 x mmol/L


def _inputs(data: TrainingSet, row: int, glucose_factor: float = 1.0) -> dict[str, float | None]:
    values = {
        f: (None if np.isnan(v) else float(v))
        for f, v in zip(data.feature_names, data.X[row], strict=True)
    }
    if values.get("glucose") is not None:
        values["glucose"] = round(values["glucose"] / glucose_factor, 1)  # type: ignore[operator]
    return values


def run_guarantee(
    node: Node, grant_id: str, model_id: str, researcher: str, validator: str,
    done: Callable[..., None], decided: int = 60,
) -> tuple[str, str]:  # fmt: skip
    """Run the lifecycle; return (a decided prediction, a pending one)."""
    models, guarantee, college = node.models, node.guarantee, node.college
    models.transition(model_id, "validated", actor=validator, role="committee_member",
                      reason="Evaluation, TRIPOD+AI checklist and Annex IV pack read.")  # fmt: skip
    for name in COLLEGE:
        college.appoint(name, expertise="clinical AI oversight", actor="admin@hospital")
    college.decide(model_id, "deploy", actor=COLLEGE[0],
                   reason="Validated; deployed for supervised use in primary care.")  # fmt: skip
    info = models.info(model_id)
    done("registry", f"{model_id} ({info.label}): development → validated (committee) → "
         f"deployed (college); lineage and audit: `socle audit trace {model_id}`")  # fmt: skip

    with node.workspace.session(grant_id, "model_training", actor=researcher) as ws:
        data = build_training_set(ws, definition(info.definition_id))
    rows = np.random.default_rng(3).permutation(len(data.y))[:MAX_PREDICTIONS]
    made = []
    for k, row in enumerate(rows):
        clinician = CLINICIANS[k % 2]
        p = guarantee.predict(model_id, f"person-demo-{k}", _inputs(data, int(row)),
                              clinician=clinician, care_context=CARE)  # fmt: skip
        made.append((p, int(data.y[row])))
    for k, (p, label) in enumerate(made[:decided]):
        clinician = CLINICIANS[k % 2]
        if k % 6 == 3:
            guarantee.decide(p.id, "rejected", clinician=clinician, reason_code="recent-data",
                             reason="A measurement from this week is normal.")  # fmt: skip
        elif k % 10 == 0:
            guarantee.decide(p.id, "amended", clinician=clinician, reason_code="clinical-context",
                             reason="Family history raises the risk.",
                             amended_score=min(1.0, p.score + 0.1))  # fmt: skip
        else:
            guarantee.decide(p.id, "accepted", clinician=clinician, reason_code="consistent",
                             reason="Consistent with the clinical picture.")  # fmt: skip
        guarantee.record_outcome(p.id, bool(label), datetime.now(UTC).date(),
                                 actor="steward@hospital", role="data_steward",
                                 source="demo: outcome of the landmark")  # fmt: skip
    first, pending = made[0][0], made[decided][0]
    fhir = node.reports / f"fhir-decisions-{model_id}.json"
    bundle = decisions_bundle(guarantee.predictions(model_id, decided_only=True), "R4")
    fhir.write_bytes(orjson.dumps(bundle, option=orjson.OPT_INDENT_2))
    r5 = node.reports / f"fhir-decisions-{model_id}-r5.json"
    r5.write_bytes(orjson.dumps(decisions_bundle(guarantee.predictions(model_id), "R5"),
                                option=orjson.OPT_INDENT_2))  # fmt: skip
    report = node.monitoring.report(model_id, actor=COLLEGE[1], role="college_member")
    usage = guarantee.usage(model_id)
    done("guarantee",
         f"{usage.predictions} predictions with SHAP explanation, model version {info.label} and "
         f"notice {info.notice_sha256[:8]}…; {usage.decided} decided with published reasons, "
         f"{usage.pending} pending; override rate {report.overrides['model']}; "
         f"{len(bundle['entry'])} FHIR R4 resources (RiskAssessment + Provenance + Basic) "
         f"and an R5 ArtifactAssessment bundle; {len(report.alerts)} alerts",
         fhir, r5)  # fmt: skip

    # A later load: the new laboratory system sends glucose in mmol/L.
    since = datetime.now(UTC).isoformat(timespec="milliseconds")
    for k, row in enumerate(rows):
        guarantee.predict(model_id, f"person-later-{k}", _inputs(data, int(row), MG_PER_MMOL),
                          clinician=CLINICIANS[k % 2], care_context=CARE)  # fmt: skip
    drift = node.monitoring.report(model_id, actor=COLLEGE[1], role="college_member", since=since)
    html, _, _ = college.review(model_id, node.reports, actor=COLLEGE[1], seed=7)
    alerts = "; ".join(a.message for a in drift.alerts) or "none"
    college.decide(model_id, "suspend", actor=COLLEGE[0],
                   reason="Input drift on glucose after the laboratory change; suspended until "
                          "the units are fixed and the model re-validated.")  # fmt: skip
    try:
        guarantee.predict(model_id, "person-after", _inputs(data, int(rows[0])),
                          clinician=CLINICIANS[0], care_context=CARE)  # fmt: skip
        refused = "was NOT refused"
    except ModelSuspendedError as exc:
        refused = exc.message
    done("college", f"monitoring after a later load: {alerts}; periodic review with a random "
         f"sample of cases; the college suspended the model; next prediction: {refused}", html)  # fmt: skip
    return first.id, pending.id


def model_documents(node: Node, model_id: str) -> list[Path]:
    """The documents of a model the demo lists (report, card, notices, TRIPOD+AI, Annex IV)."""
    return [node.models.document(model_id, name)
            for name in ("report", "card", "notice-en", "notice-fr", "tripod", "annex-iv")]  # fmt: skip
