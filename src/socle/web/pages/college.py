"""The college of human guarantee: each model used in care with its monitoring in practice
(override rates, drift, calibration) drawn as charts, a random sample of decided cases to
review, and the college's decisions — suspend a model, or restore it — with a reason.

Every figure comes from the guarantee's own monitoring (``guarantee.monitor``: the alerts its
policy calls for are raised, audited with the signed-in member) and every decision from the
college's (``college.decisions.create``: the model's stage follows, audited).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from socle.api import Principal, schemas_ai, services_ai
from socle.figures import Figures
from socle.node import Node
from socle.web import charts, session
from socle.web.app import PREFIX, figures, redirect, render, run, translator
from socle.web.i18n import Translator

router = APIRouter(prefix="/college")
ROUTE = "guarantee.monitor"  # the college's own route: its members only
DECISIONS = ("suspend", "deploy", "keep", "retrain", "retire")
BINS = 5  # groups of predictions in the calibration chart


def overview(node: Node) -> dict[str, Any]:
    models = []
    for info in node.models.models():
        usage = node.guarantee.usage(info.id)
        if usage.predictions == 0 and info.stage not in ("deployed", "suspended"):
            continue  # never used in care: not the college's yet
        models.append({"info": info, "usage": usage})
    return {"models": models, "alerts": node.monitoring.alerts(status="open")}


@router.get("")
async def college(request: Request) -> Response:
    who = session.require(request, ROUTE)
    runner = await run(request)
    view = await runner.call(overview)
    return render(request, "college.html", who=who, **view)


def calibration_points(outcomes: list[tuple[float, bool]]) -> list[tuple[float, float, int]]:
    """(mean predicted risk, observed rate, predictions) per group of predictions of similar
    risk: equal-sized groups, ordered by risk."""
    ranked = sorted(outcomes)
    size = max(1, -(-len(ranked) // BINS))
    points = []
    for start in range(0, len(ranked), size):
        group = ranked[start : start + size]
        points.append(
            (sum(s for s, _ in group) / len(group), sum(o for _, o in group) / len(group),
             len(group))
        )  # fmt: skip
    return points


def model_view(node: Node, who: Principal, model_id: str, kept: Figures) -> dict[str, Any]:
    info, usage = node.models.info(model_id), node.guarantee.usage(model_id)
    outcomes = node.guarantee.outcomes(model_id)
    # The monitoring is recomputed (raising the alerts its policy calls for) whenever a
    # prediction, a decision, an outcome, an alert or the model's stage changed; else the
    # figures of the last run are read again (the same for every member of the college).
    open_alerts = tuple(a.id for a in node.monitoring.alerts(model_id, status="open"))
    key = ("monitoring", model_id, usage, len(outcomes), open_alerts, info.stage_at)
    report = kept.get(key, lambda: services_ai.monitor(node, who, model_id))
    return {
        "info": info,
        "usage": usage,
        "report": report,
        "policy": node.monitoring.policy,
        "calibration": calibration_points(outcomes),
        "decisions": node.college.decisions(model_id),
        "stages": node.models.transitions(model_id),
    }


def _charts(t: Translator, view: dict[str, Any]) -> dict[str, str | None]:
    report, policy = view["report"], view["policy"]
    drawn: dict[str, str | None] = {"overrides": None, "drift": None, "calibration": None}
    rates = {k: v for k, v in report.overrides.get("by_clinician", {}).items() if v is not None}
    if report.overrides.get("model") is not None:
        rates = {t("college.all_clinicians"): report.overrides["model"], **rates}
    if rates:
        drawn["overrides"] = charts.bar_chart(
            list(rates), [100 * v for v in rates.values()], t("college.overrides_chart"), "%",
            threshold=100 * policy["overrides"]["rate_alert"],
            threshold_label=t("college.alert_threshold"),
        )  # fmt: skip
    drift = {name: f["psi"] for name, f in report.input_drift.items()}
    if report.prediction_drift:
        drift[t("college.score")] = report.prediction_drift["psi"]
    if drift:
        drawn["drift"] = charts.bar_chart(
            list(drift), list(drift.values()), t("college.drift_chart"), "PSI",
            threshold=policy["drift"]["psi_alert"], threshold_label=t("college.alert_threshold"),
        )  # fmt: skip
    if view["calibration"]:
        drawn["calibration"] = charts.calibration_chart(
            [p[0] for p in view["calibration"]], [p[1] for p in view["calibration"]],
            t("college.calibration_chart"), t("college.predicted"), t("college.observed"),
        )  # fmt: skip
    return drawn


async def _model_page(
    request: Request, who: Principal, model_id: str, **extra: Any
) -> Response:  # fmt: skip
    runner, t, kept = await run(request), translator(request), figures(request)
    view = await runner.serial(lambda n: model_view(n, who, model_id[:40], kept))
    report = view["report"]
    # The charts change only with the figures they show: drawn once per figures and language.
    key = ("college-charts", t.lang, model_id, report.model_dump_json(exclude={"alerts"}),
           tuple(view["calibration"]))  # fmt: skip
    drawn = kept.get(key, lambda: _charts(t, view))
    extra = {"sample": None, "report_file": None, **extra}
    return render(
        request, "college_model.html", who=who, charts=drawn, choices=DECISIONS, **view, **extra
    )


@router.get("/models/{model_id}")
async def model(request: Request, model_id: str) -> Response:
    who = session.require(request, ROUTE)
    return await _model_page(request, who, model_id)


@router.post("/models/{model_id}/review")
async def review(request: Request, model_id: str) -> Response:
    """Draw a random sample of decided cases for the college to read (the periodic review)."""
    who = session.require(request, "college.reviews.create")
    fields = await session.form(request)
    size = fields.get("sample_size", "").strip()
    body = schemas_ai.ReviewCreate.model_validate(
        {"model_id": model_id[:40], "sample_size": int(size) if size.isdigit() else None}
    )
    runner = await run(request)
    done = await runner.serial(lambda n: services_ai.review(n, who, body))
    return await _model_page(
        request, who, model_id, sample=done.review["sample"], report_file=done.report
    )


@router.post("/models/{model_id}/decision")
async def decide(request: Request, model_id: str) -> Response:
    """Suspend a model, restore (deploy) it, or another decision of the college, with a reason."""
    who = session.require(request, "college.decisions.create")
    fields = await session.form(request)
    body = schemas_ai.CollegeDecisionCreate.model_validate(
        {"model_id": model_id[:40], "decision": fields.get("decision", ""),
         "reason": fields.get("reason", "")}
    )  # fmt: skip
    runner = await run(request)
    await runner.serial(lambda n: services_ai.decide(n, who, body))
    return redirect(f"{PREFIX}/college/models/{model_id}?decided={body.decision}")
