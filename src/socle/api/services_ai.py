"""What each model-registry, monitoring and college route does (pattern: :mod:`socle.api.services`).

A researcher sees the lineage and report of their own projects' models; the
committee, auditors and the college see every model; a clinician reads a
model's notices (what they see with each prediction), not its lineage.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

from socle.ai import ModelInfo, load_definitions
from socle.api import access
from socle.api import schemas_ai as s
from socle.api.auth import Principal
from socle.api.errors import PermissionDeniedError
from socle.api.roles import Role
from socle.guarantee import decisions_bundle, reason_taxonomy
from socle.node import Node

OVERSEE_MODELS = frozenset({Role.COMMITTEE_MEMBER, Role.AUDITOR, Role.COLLEGE_MEMBER})
NOTICES = ("notice-en", "notice-fr")


def _info(i: ModelInfo) -> s.ModelInfoPublic:
    return s.ModelInfoPublic(
        id=i.id, definition_id=i.definition_id, version=i.version, stage=i.stage,
        stage_reason=i.stage_reason, stage_at=i.stage_at, features=list(i.features),
        notice_version=i.notice_sha256,
        restricted_to=list(i.restricted_to) if i.restricted_to is not None else None,
    )  # fmt: skip


def _visible(node: Node, who: Principal, model_id: str) -> None:
    """Oversight roles see every model; a researcher only their projects' models."""
    if who.has_any(OVERSEE_MODELS):
        node.models.info(model_id)
        return
    access.team_grant(node, who, node.models.grant_of(model_id))


def models(node: Node, who: Principal, limit: int, offset: int) -> dict[str, Any]:
    found = node.models.models_page(limit, offset)
    items = [_info(i) for i in found.items]
    return {"items": items, "total": found.total, "limit": limit, "offset": offset}


def definitions() -> list[s.DefinitionPublic]:
    return [
        s.DefinitionPublic(id=d.id, title=d.title, status=d.status, definition=d.as_dict())
        for d in load_definitions().values()
    ]


def stage(node: Node, who: Principal, model_id: str, body: s.StageCreate) -> s.ModelInfoPublic:
    """The committee validates or retires a model (the college deploys and suspends)."""
    return _info(
        node.models.transition(
            model_id, body.stage, actor=who.subject, role=Role.COMMITTEE_MEMBER,
            reason=body.reason,
        )
    )  # fmt: skip


def lineage(node: Node, who: Principal, model_id: str) -> s.LineagePublic:
    _visible(node, who, model_id)
    return s.LineagePublic(
        model=_info(node.models.info(model_id)), lineage=node.models.lineage(model_id),
        transitions=[{k: str(v) for k, v in asdict(t).items()}
                     for t in node.models.transitions(model_id)],
    )  # fmt: skip


def report(node: Node, who: Principal, model_id: str) -> dict[str, Any]:
    _visible(node, who, model_id)
    return node.models.report(model_id)


def document(node: Node, who: Principal, model_id: str, name: str) -> Path:
    """A model's document; clinicians read only the notices."""
    if name not in NOTICES and not who.has_any(OVERSEE_MODELS | {Role.RESEARCHER}):
        raise PermissionDeniedError("clinicians read a model's notices only")
    if name not in NOTICES:
        _visible(node, who, model_id)
    return node.models.document(model_id, name)


def reasons() -> s.ReasonsPublic:
    t = reason_taxonomy()
    return s.ReasonsPublic(
        system=t.system,
        reasons=[s.ReasonPublic(code=r.code, decisions=list(r.decisions), en=r.en, fr=r.fr)
                 for r in t.reasons],
    )  # fmt: skip


def outcome(node: Node, who: Principal, prediction_id: str, body: s.OutcomeCreate) -> None:
    if Role.DATA_STEWARD not in who.roles:
        access.visible_prediction(who, node.guarantee.get(prediction_id))
    role = Role.DATA_STEWARD if Role.DATA_STEWARD in who.roles else Role.CLINICIAN
    node.guarantee.record_outcome(
        prediction_id, body.occurred, body.observed_on, actor=who.subject, role=role,
        source=body.source,
    )  # fmt: skip


def monitor(node: Node, who: Principal, model_id: str) -> s.MonitoringPublic:
    r = node.monitoring.report(model_id, actor=who.subject, role=Role.COLLEGE_MEMBER)
    return s.MonitoringPublic(**{**r.as_dict(), "alerts": [asdict(a) for a in r.alerts]})


def alerts(node: Node, status: str | None, limit: int, offset: int) -> dict[str, Any]:
    found = node.monitoring.alerts_page(status=status, limit=limit, offset=offset)
    items = [s.AlertPublic(**asdict(a)) for a in found.items]
    return {"items": items, "total": found.total, "limit": limit, "offset": offset}


def fhir(node: Node, model_id: str, version: str) -> dict[str, Any]:
    node.models.info(model_id)
    return decisions_bundle(node.guarantee.predictions(model_id), "R5" if version == "R5" else "R4")


def appoint(node: Node, who: Principal, body: s.CollegeMemberCreate) -> s.CollegeMemberPublic:
    m = node.college.appoint(body.name, expertise=body.expertise, actor=who.subject)
    return s.CollegeMemberPublic(**asdict(m))


def decide(node: Node, who: Principal, body: s.CollegeDecisionCreate) -> s.CollegeDecisionPublic:
    d = node.college.decide(
        body.model_id, body.decision, actor=who.subject, reason=body.reason,
        care_contexts=tuple(body.care_contexts) if body.care_contexts else None,
    )  # fmt: skip
    return s.CollegeDecisionPublic(**{**asdict(d), "care_contexts": body.care_contexts})


def review(node: Node, who: Principal, body: s.ReviewCreate) -> s.ReviewPublic:
    html, _, data = node.college.review(
        body.model_id, node.reports / "college", actor=who.subject,
        sample_size=body.sample_size, seed=body.seed,
    )  # fmt: skip
    return s.ReviewPublic(report=html.name, review=data)
