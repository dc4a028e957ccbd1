"""What each release-desk route does (see :mod:`socle.api.services` for the pattern).

A researcher sees check reports of their own projects, and values only once
released; an output checker sees everything it reviews, beside the project's
earlier releases; nobody gets a true (unsuppressed) value.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from socle.api import access
from socle.api import schemas_release as s
from socle.api.auth import Principal
from socle.api.errors import PermissionDeniedError
from socle.api.roles import Role
from socle.node import Node
from socle.release import CheckReport, OutputRequest

SEE_ALL = frozenset({Role.OUTPUT_CHECKER, Role.AUDITOR})


def _report(r: CheckReport) -> s.CheckReportPublic:
    return s.CheckReportPublic(
        output=r.output, kind=r.kind, status=r.status,
        checks=[s.CheckPublic(**c.as_dict()) for c in r.checks],
    )  # fmt: skip


def _request(node: Node, req: OutputRequest, who: Principal) -> s.OutputRequestPublic:
    show = who.has_any(SEE_ALL) or req.state == "released"
    history = [r.id for r in node.desk.history(req.id)] if who.has_any(SEE_ALL) else []
    return s.OutputRequestPublic(
        id=req.id, grant_id=req.grant_id, project=req.project, requester=req.requester,
        description=req.description, state=req.state,
        items=[
            s.ItemPublic(
                name=i.name, kind=i.kind, status=i.status,
                checks=[s.CheckPublic(**c) for c in i.checks], exception=i.exception,
                columns=list(i.columns), rows=[list(r) for r in i.rows] if show else None,
                sha256=i.sha256,
            )
            for i in req.items
        ],
        reviews=[s.OutputReviewPublic(**r.__dict__) for r in req.reviews],
        history=history,
    )  # fmt: skip


def _visible(node: Node, who: Principal, request_id: str) -> OutputRequest:
    req = node.desk.get(request_id)
    if not who.has_any(SEE_ALL):
        access.own_grant(node, who, req.grant_id)
    return req


def check_counts(
    node: Node, who: Principal, grant_id: str, body: s.CountsCheckCreate
) -> s.CheckReportPublic:
    access.own_grant(node, who, grant_id)
    return _report(
        node.workspace.check_condition_counts(
            grant_id, body.condition, body.dims, actor=who.subject
        )
    )


def dp_count(
    node: Node, who: Principal, grant_id: str, body: s.DPCountCreate
) -> s.OutputRequestPublic:
    access.own_grant(node, who, grant_id)
    req = node.workspace.dp_condition_count(
        grant_id, body.condition, body.epsilon, by=body.by, actor=who.subject
    )
    return _request(node, req, who)


def condition_counts(
    node: Node, who: Principal, grant_id: str, condition: str, dims: list[str]
) -> s.OutputRequestPublic:
    access.own_grant(node, who, grant_id)
    return _request(
        node, node.workspace.condition_counts(grant_id, condition, dims, actor=who.subject), who
    )


def list_requests(
    node: Node,
    who: Principal,
    state: str | None,
    limit: int,
    offset: int,
    *,
    project: str | None = None,
    grant_id: str | None = None,
) -> dict[str, Any]:
    """Output requests the person may see, newest first; one project's or one grant's only
    when ``project`` / ``grant_id`` are given (a grant's page). Paged in SQL."""
    projects = None if who.has_any(SEE_ALL) else node.governance.projects_of(who.subject)
    if project is not None:
        projects = [project] if projects is None or project in projects else []
    found = node.desk.requests_page(
        projects=projects, state=state, grant_id=grant_id, limit=limit, offset=offset
    )
    items = [_request(node, r, who) for r in found.items]
    return {"items": items, "total": found.total, "limit": limit, "offset": offset}


def get_request(node: Node, who: Principal, request_id: str) -> s.OutputRequestPublic:
    return _request(node, _visible(node, who, request_id), who)


def review(
    node: Node, who: Principal, request_id: str, body: s.OutputReviewCreate
) -> s.OutputRequestPublic:
    req = node.desk.review(request_id, body.decision, reasons=body.reasons, actor=who.subject)
    return _request(node, req, who)


def released_file(node: Node, who: Principal, request_id: str, name: str) -> Path:
    req = _visible(node, who, request_id)
    if req.folder is None:
        raise PermissionDeniedError(f"output request {request_id} is '{req.state}', not released")
    if name not in {i.name for i in req.items}:
        raise PermissionDeniedError(f"output request {request_id} has no output '{name}'")
    return req.folder / f"{name}.csv"


def appoint(node: Node, who: Principal, body: s.CheckerCreate) -> list[str]:
    node.desk.appoint_checker(body.name, actor=who.subject)
    return node.desk.checkers()


def ledger(node: Node, project: str, limit: int, offset: int) -> dict[str, Any]:
    found = node.desk.ledger_page(project, limit, offset)
    items = [
        s.LedgerEntryPublic(
            release_id=e.release_id, population=e.population, dims=list(e.dims),
            labels=list(e.labels), released_value=e.released_value,
        )
        for e in found.items
    ]  # fmt: skip
    return {"items": items, "total": found.total, "limit": limit, "offset": offset}


def budget(node: Node, who: Principal, grant_id: str) -> s.BudgetPublic:
    if not who.has_any(SEE_ALL | {Role.COMMITTEE_MEMBER}):
        access.own_grant(node, who, grant_id)
    b = node.desk.budget(grant_id)
    return s.BudgetPublic(
        grant_id=b.grant_id, epsilon=b.epsilon, delta=b.delta, spent_epsilon=b.spent_epsilon,
        spent_delta=b.spent_delta, remaining_epsilon=b.remaining_epsilon,
        spends=node.desk.spends(grant_id),
    )  # fmt: skip
