"""The demo's model lifecycle under human guarantee (``socle demo``, steps 7c-8).

The committee validates the model, the college deploys it, clinicians score
patients (by their pseudonym token) and decide with published reasons, decisions
leave as FHIR, monitoring reports; a later load brings the patients' follow-up and
their outcomes are linked as it completes (calibration in practice); then a new
laboratory system sends glucose in mmol/L instead of mg/dL, monitoring raises a
drift alert, the college reviews and suspends the model, and the next prediction
is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from socle.ai import ModelSuspendedError, TrainingSet, build_training_set, definition
from socle.guarantee import Prediction, decisions_bundle
from socle.node import Node

COLLEGE = ("college.chair@hospital", "college.nurse@hospital")
CLINICIANS = ("dr.house@hospital", "dr.grey@hospital")
CARE = "gp-clinic"
MAX_PREDICTIONS = 300  # one per index date of the training set, as a clinic would send them
MG_PER_MMOL = 18.0  # glucose: mg/dL = 18 x mmol/L
FOLLOW_UP_DAYS = 1830  # the later load's visits: past the five-year time at risk


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

    task = definition(info.definition_id)
    with node.workspace.session(grant_id, "model_training", actor=researcher) as ws:
        data = build_training_set(ws, task)
        had = (
            ws.query(
                "SELECT DISTINCT person_id FROM scoped_condition_occurrence "
                "WHERE condition_source_value IN (SELECT unnest(?::VARCHAR[]))",
                [list(task.outcome_codes)],
            )
            .column(0)
            .to_pylist()
        )  # already had the outcome: outside the target population now
    # The clinic knows its patients by their hospital id; it sends the pseudonym token.
    patients = {node.pseudo.id("Patient", source): (token, source)
                for token, source in node.vault.source_ids().items()}  # fmt: skip
    rows = np.random.default_rng(3).permutation(len(data.y))[:MAX_PREDICTIONS]
    made = []
    for k, row in enumerate(rows):
        clinician = CLINICIANS[k % 2]
        token, source = patients[int(data.groups[row])]
        p = guarantee.predict(model_id, token, _inputs(data, int(row)),
                              clinician=clinician, care_context=CARE)  # fmt: skip
        made.append((p, source))
    for k, (p, _) in enumerate(made[:decided]):
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

    # A later load brings five years of follow-up: outcomes are linked as it completes.
    prior = {patients[int(p)][1] for p in had if int(p) in patients}
    links = _later_load(node, made, prior, folder=node.settings.home / "incoming" / "follow-up")
    calibration = node.monitoring.report(model_id, actor=COLLEGE[1], role="college_member")
    cal = calibration.calibration or {}
    done("outcomes",
         f"a later load (five years of follow-up of the {len({s for _, s in made})} patients "
         f"scored) linked {links['recorded']} outcomes automatically ({links['occurred']} "
         f"occurred), {links['prior']} predictions outside the target population, "
         f"{links['awaiting']} awaiting follow-up; calibration in practice: observed/expected "
         f"{cal.get('observed_over_expected', 'not yet measurable')} over "
         f"{cal.get('outcomes', 0)} outcomes")  # fmt: skip

    # Then the new laboratory system sends glucose in mmol/L.
    since = datetime.now(UTC).isoformat(timespec="milliseconds")
    for k, row in enumerate(rows):
        guarantee.predict(model_id, patients[int(data.groups[row])][0],
                          _inputs(data, int(row), MG_PER_MMOL),
                          clinician=CLINICIANS[k % 2], care_context=CARE)  # fmt: skip
    drift = node.monitoring.report(model_id, actor=COLLEGE[1], role="college_member", since=since)
    html, _, _ = college.review(model_id, node.reports, actor=COLLEGE[1], seed=7)
    alerts = "; ".join(a.message for a in drift.alerts) or "none"
    college.decide(model_id, "suspend", actor=COLLEGE[0],
                   reason="Input drift on glucose after the laboratory change; suspended until "
                          "the units are fixed and the model re-validated.")  # fmt: skip
    try:
        guarantee.predict(model_id, made[0][0].patient, _inputs(data, int(rows[0])),
                          clinician=CLINICIANS[0], care_context=CARE)  # fmt: skip
        refused = "was NOT refused"
    except ModelSuspendedError as exc:
        refused = exc.message
    done("college", f"monitoring after a later load: {alerts}; periodic review with a random "
         f"sample of cases; the college suspended the model; next prediction: {refused}", html)  # fmt: skip
    return first.id, pending.id


def _later_load(
    node: Node, made: list[tuple[Prediction, str]], prior: set[str], folder: Path
) -> dict[str, int]:
    """Write and load the follow-up of the scored patients, as the hospital would send it five
    years on: a visit after the time at risk for each and, for the highest-risk patients who
    did not have it yet, the first record of hypertension — as many predictions with the event
    as the scores expect (a well-calibrated, discriminating world). Returns the counts of the
    outcome linking that ran when the load completed."""
    rng = np.random.default_rng(11)
    day = datetime.now(UTC).date()
    risk: dict[str, list[float]] = {}
    for p, source in made:
        risk.setdefault(source, []).append(p.score)
    expected = sum(sum(v) for s, v in risk.items() if s not in prior)
    events: set[str] = set()
    with_event = 0  # predictions whose patient has the event: brought closest to ``expected``
    for source, scores in sorted(risk.items(), key=lambda kv: -float(np.mean(kv[1]))):
        if source not in prior and abs(with_event + len(scores) - expected) < abs(
            with_event - expected
        ):
            events.add(source)
            with_event += len(scores)
    resources: list[dict[str, Any]] = []
    for k, source in enumerate(sorted(risk)):
        subject = {"reference": f"Patient/{source}"}
        seen = (day + timedelta(days=FOLLOW_UP_DAYS)).isoformat()
        resources.append({"resourceType": "Encounter", "id": f"follow-up-{k}", "status":
                          "finished", "class": {"code": "AMB"}, "subject": subject,
                          "period": {"start": f"{seen}T09:00:00Z", "end": f"{seen}T09:30:00Z"}})  # fmt: skip
        if source in events:
            onset = (day + timedelta(days=int(rng.integers(30, 1800)))).isoformat()
            resources.append({"resourceType": "Condition", "id": f"follow-up-htn-{k}",
                              "subject": subject, "onsetDateTime": f"{onset}T10:00:00Z",
                              "code": {"coding": [{"system": "http://snomed.info/sct",
                                                   "code": "59621000",
                                                   "display": "Essential hypertension"}]}})  # fmt: skip
    folder.mkdir(parents=True, exist_ok=True)
    bundle = {"resourceType": "Bundle", "type": "collection",
              "entry": [{"resource": r} for r in resources]}  # fmt: skip
    (folder / "follow-up.json").write_bytes(orjson.dumps(bundle))
    node.load(folder, actor="steward@hospital")
    details = list(node.audit.events("guarantee.link_outcomes"))[-1].details
    return {k: int(v) for k, v in details.items()}


def model_documents(node: Node, model_id: str) -> list[Path]:
    """The documents of a model the demo lists (report, card, notices, TRIPOD+AI, Annex IV)."""
    return [node.models.document(model_id, name)
            for name in ("report", "card", "notice-en", "notice-fr", "tripod", "annex-iv")]  # fmt: skip
