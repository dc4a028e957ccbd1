"""The observatory over HTTP: schemas and one function per operation (run on the node's thread).

Public operations read published entries only. A submitter reads and revises only the
entries they submitted; reviewers, the steward and auditors see the whole queue. The
service enforces the workflow (separation of duties, declared conflicts) itself.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from socle.api.auth import Principal
from socle.api.errors import PermissionDeniedError
from socle.api.roles import Role
from socle.errors import InputError
from socle.node import Node
from socle.observatory import (
    REVIEWER,
    DatabaseData,
    Entry,
    MethodError,
    Ranking,
    ToolData,
    load_observatory_taxonomy,
    public_json,
)

EntryBody = Annotated[ToolData | DatabaseData, Field(discriminator="kind")]
OVERSEE = frozenset({Role.OBSERVATORY_REVIEWER, Role.DATA_STEWARD, Role.AUDITOR})


class SubmissionCreate(BaseModel):
    data: EntryBody
    note: str = Field(default="", max_length=2000)


class VersionPublic(BaseModel):
    version: int
    submitted_by: str
    submitted_role: str
    submitted_at: str
    note: str
    review_outcome: str | None
    reviewed_by: str | None
    reviewed_at: str | None
    review_note: str | None
    published_by: str | None
    published_at: str | None


class SubmissionPublic(BaseModel):
    id: str
    kind: str
    source: str
    state: str
    version: int
    published_version: int | None
    data: EntryBody
    history: list[VersionPublic]


class DeclarationCreate(BaseModel):
    statement: str = Field(min_length=1, max_length=2000)
    makers: list[Annotated[str, Field(max_length=300)]] = Field(default=[], max_length=200)
    entries: list[Annotated[str, Field(max_length=40)]] = Field(default=[], max_length=200)


class ReviewCreate(BaseModel):
    outcome: Literal["reviewed", "changes_requested"] = "reviewed"
    note: str = Field(default="", max_length=2000)


class BatchCreate(BaseModel):
    """Entries to review or publish: by id, or every one of a source awaiting this step."""

    ids: list[Annotated[str, Field(max_length=40)]] = Field(default=[], max_length=5000)
    source: str | None = Field(default=None, max_length=40, description="e.g. fda, import")
    outcome: Literal["reviewed", "changes_requested"] = "reviewed"
    note: str = Field(default="", max_length=2000)


class BatchPublic(BaseModel):
    done: list[str]
    skipped: dict[str, str]  # entry id -> why (own submission, conflict, state)


class MethodCreate(BaseModel):
    text: str = Field(min_length=1, max_length=50_000, description="The method as TOML")
    reason: str = Field(min_length=1, max_length=2000)


class RankingCreate(BaseModel):
    category: str = Field(min_length=1, max_length=40)
    method_version: int | None = Field(default=None, ge=1, le=10_000)
    as_of: str | None = Field(default=None, max_length=40)


def _role(who: Principal) -> str:
    for role in (Role.MAKER, Role.DATA_STEWARD, Role.CLINICIAN, Role.RESEARCHER):
        if role in who.roles:
            return str(role)
    return sorted(who.roles)[0] if who.roles else "unknown"


def _submission(node: Node, entry: Entry) -> SubmissionPublic:
    history = node.observatory.registry.history(entry.id)
    return SubmissionPublic(
        id=entry.id, kind=entry.kind, source=entry.source, state=entry.state,
        version=entry.version, published_version=entry.published_version, data=entry.data,
        history=[VersionPublic(**{k: getattr(v, k) for k in VersionPublic.model_fields})
                 for v in history],
    )  # fmt: skip


def _visible(node: Node, who: Principal, entry_id: str) -> Entry:
    """The entry, if ``who`` oversees the register or submitted a version of it."""
    entry = node.observatory.registry.entry(entry_id)
    if who.has_any(OVERSEE):
        return entry
    if who.subject not in {v.submitted_by for v in node.observatory.registry.history(entry_id)}:
        raise PermissionDeniedError(f"you did not submit entry {entry_id}")
    return entry


def submit(node: Node, who: Principal, body: SubmissionCreate) -> SubmissionPublic:
    entry = node.observatory.registry.submit(
        body.data, actor=who.subject, role=_role(who), note=body.note
    )
    return _submission(node, entry)


def revise(node: Node, who: Principal, entry_id: str, body: SubmissionCreate) -> SubmissionPublic:
    if Role.DATA_STEWARD not in who.roles:
        _visible(node, who, entry_id)
    entry = node.observatory.registry.revise(
        entry_id, body.data, actor=who.subject, role=_role(who), note=body.note
    )
    return _submission(node, entry)


def submission(node: Node, who: Principal, entry_id: str) -> SubmissionPublic:
    return _submission(node, _visible(node, who, entry_id))


def queue(node: Node, state: str | None, limit: int, offset: int) -> list[dict[str, Any]]:
    entries = node.observatory.registry.entries(state=state, limit=limit, offset=offset)
    return [{"id": e.id, "kind": e.kind, "source": e.source, "state": e.state,
             "version": e.version, "name": e.data.name, "maker": e.data.maker}
            for e in entries]  # fmt: skip


def declare(node: Node, who: Principal, body: DeclarationCreate) -> dict[str, Any]:
    d = node.observatory.reviews.declare_interests(
        who.subject, makers=body.makers, entries=body.entries, statement=body.statement
    )
    return {"reviewer": d.reviewer, "declared_at": d.declared_at, "makers": list(d.makers),
            "entries": list(d.entries)}  # fmt: skip


def review(node: Node, who: Principal, entry_id: str, body: ReviewCreate) -> SubmissionPublic:
    entry = node.observatory.reviews.review(
        entry_id, reviewer=who.subject, outcome=body.outcome, note=body.note
    )
    return _submission(node, entry)


def _batch_ids(node: Node, body: BatchCreate, state: str) -> list[str]:
    if body.ids:
        return list(body.ids)
    if body.source:
        return node.observatory.registry.entry_ids(source=body.source, state=state)
    raise InputError("name the entries (ids) or a source whose entries to act on")


def review_batch(node: Node, who: Principal, body: BatchCreate) -> BatchPublic:
    done, skipped = node.observatory.reviews.review_many(
        _batch_ids(node, body, "submitted"), reviewer=who.subject, outcome=body.outcome,
        note=body.note,
    )  # fmt: skip
    return BatchPublic(done=done, skipped=skipped)


def publish_batch(node: Node, who: Principal, body: BatchCreate) -> BatchPublic:
    done, skipped = node.observatory.reviews.publish_many(
        _batch_ids(node, body, "reviewed"), actor=who.subject
    )
    return BatchPublic(done=done, skipped=skipped)


def publish(node: Node, who: Principal, entry_id: str) -> SubmissionPublic:
    return _submission(node, node.observatory.reviews.publish(entry_id, actor=who.subject))


def adopt_method(node: Node, who: Principal, body: MethodCreate) -> dict[str, Any]:
    m = node.observatory.rankings.adopt(body.text, actor=who.subject, role=REVIEWER,
                                        reason=body.reason)  # fmt: skip
    return {"version": m.method.version, "digest": m.method.digest, "adopted_by": m.adopted_by,
            "adopted_at": m.adopted_at, "reason": m.reason}  # fmt: skip


def sync(node: Node, who: Principal) -> dict[str, int]:
    models = node.observatory.live.sync_models()
    datasets = node.observatory.sync_catalogue(actor=who.subject)
    live = node.observatory.live.refresh(actor=who.subject)
    return {"models_submitted": len(models.created) + len(models.revised),
            "datasets_submitted": len(datasets.created) + len(datasets.revised),
            "live_updated": len(live)}  # fmt: skip


def record_ranking(node: Node, who: Principal, body: RankingCreate) -> dict[str, Any]:
    ranking = _ranking(node, body.category, body.method_version, body.as_of)
    node.observatory.rankings.record(ranking, actor=who.subject, role=REVIEWER)
    return {**ranking.to_json(), "digest": ranking.digest}


# -- public reads: published entries only ----------------------------------------------------


def public_map(
    node: Node, kind: str | None, category: str | None, speciality: str | None,
    risk: str | None, evidence: str | None, limit: int, offset: int,
) -> dict[str, Any]:  # fmt: skip
    entries = node.observatory.map(kind=kind, category=category, speciality=speciality,
                                   risk=risk, evidence=evidence)  # fmt: skip
    page = entries[offset : offset + limit]
    live = node.observatory.live.figures([e.id for e in page])
    return {"items": [public_json(e, live.get(e.id)) for e in page], "total": len(entries),
            "limit": limit, "offset": offset}  # fmt: skip


def public_entry(node: Node, entry_id: str) -> dict[str, Any]:
    entry = node.observatory.registry.published(entry_id)
    return public_json(entry, node.observatory.live.figures([entry_id]).get(entry_id))


def _ranking(node: Node, category: str, method_version: int | None, as_of: str | None) -> Ranking:
    if category not in load_observatory_taxonomy().categories:
        raise MethodError(f"category '{category}' is not in the published taxonomy")
    return node.observatory.rankings.top(category, method_version=method_version, as_of=as_of)


def top(node: Node, category: str, method_version: int | None, as_of: str | None) -> dict[str, Any]:
    ranking = _ranking(node, category, method_version, as_of)
    return {**ranking.to_json(), "digest": ranking.digest}


def method(node: Node, version: int | None) -> dict[str, Any]:
    m = node.observatory.rankings.method(version)
    return {"version": m.method.version, "title": m.method.title, "digest": m.method.digest,
            "adopted_by": m.adopted_by, "adopted_at": m.adopted_at, "reason": m.reason,
            "text": m.method.text}  # fmt: skip


def alerts(node: Node) -> list[dict[str, str]]:
    return [{"entry": a.entry_id, "name": a.name, "kind": a.kind, "message": a.message}
            for a in node.observatory.alerts()]  # fmt: skip


def taxonomy() -> dict[str, Any]:
    t = load_observatory_taxonomy()
    return {"version": t.version,
            "categories": {c.code: {"title": c.title, "description": c.description}
                           for c in t.categories.values()},
            "specialities": list(t.specialities), "ai_act_risk_classes": list(t.risk_classes),
            "ai_act_roles": list(t.act_roles), "study_designs": list(t.designs)}  # fmt: skip
