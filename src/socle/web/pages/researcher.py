"""The researcher's pages: write a request, follow it, and work under a grant.

Under a grant: run a query in the workspace (only a disclosed row count comes
back), check a table of counts before asking for it, ask the release desk for
it, and download what two output checkers released.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from socle.api import Principal, access, schemas, schemas_release, services, services_release
from socle.node import Node
from socle.web import session
from socle.web.app import PREFIX, redirect, render, run
from socle.web.pages.jobs import grant_jobs

router = APIRouter(prefix="/researcher")
VARIABLE_ROWS = 4  # variable lines on the request form
OUTPUTS_SHOWN = 50  # a grant's latest output requests on its page
OUTPUT_TYPES = ("aggregates", "pseudonymised_extract", "federated_training", "model_training")


def my_projects(node: Node, who: Principal) -> list[dict[str, Any]]:
    """The submitted requests whose team lists ``who``, with their grants."""
    grants: dict[str, list[str]] = {}
    for grant in node.governance.grants_of_member(who.subject):
        grants.setdefault(grant.request_id, []).append(grant.id)
    found = []
    for time in node.governance.decision_times():
        request, state = node.governance.request(time.request_id)
        if request.on_team(who.subject):
            found.append({"id": time.request_id, "title": request.title, "state": state,
                          "submitted_at": time.submitted_at,
                          "grants": grants.get(time.request_id, [])})  # fmt: skip
    return found


@router.get("")
async def researcher(request: Request) -> Response:
    who = session.require(request, "requests.create")
    runner = await run(request)
    projects = await runner.call(lambda n: my_projects(n, who))
    return render(request, "researcher.html", who=who, projects=projects)


def _form_context(node: Node) -> dict[str, Any]:
    datasets = node.catalog.datasets()
    return {
        "datasets": datasets,
        "purposes": list(node.taxonomy.purposes),
        "variables": [f"{v.table}.{v.column}" for v in datasets[0].variables] if datasets else [],
        "rows": range(VARIABLE_ROWS),
        "output_types": OUTPUT_TYPES,
    }


@router.get("/requests/new")
async def new_request(request: Request) -> Response:
    who = session.require(request, "requests.create")
    runner = await run(request)
    context = await runner.call(_form_context)
    return render(request, "request_new.html", who=who, **context)


def request_body(fields: dict[str, str]) -> schemas.RequestCreate:
    """The API's request schema from the form's fields (validated the same way)."""
    variables = []
    for i in range(VARIABLE_ROWS):
        name = fields.get(f"variable_{i}", "")
        if name:
            table, _, column = name.partition(".")
            variables.append(
                {"table": table, "column": column, "justification": fields.get(f"why_{i}", "")}
            )
    team = []
    for line in fields.get("team", "").splitlines():
        name, _, role = line.partition(":")
        if name.strip():
            team.append({"name": name.strip(), "role": role.strip() or "researcher"})
    return schemas.RequestCreate.model_validate(
        {
            "title": fields.get("title", ""), "sponsor": fields.get("sponsor", ""),
            "purpose": fields.get("purpose", ""),
            "public_interest": fields.get("public_interest", ""),
            "dataset_id": fields.get("dataset_id", ""), "variables": variables, "team": team,
            "output_types": [t for t in fields.get("output_types", "").splitlines() if t],
            "period_start": fields.get("period_start") or None,
            "period_end": fields.get("period_end") or None,
        }
    )  # fmt: skip


@router.post("/requests")
async def create_request(request: Request) -> Response:
    who = session.require(request, "requests.create")
    body = request_body(await session.form(request))
    runner = await run(request)
    created = await runner.serial(lambda n: services.create_request(n, who, body))
    return redirect(f"{PREFIX}/researcher/requests/{created.id}")


def _request_view(node: Node, who: Principal, request_id: str) -> dict[str, Any]:
    public = services.get_request(node, who, request_id)  # the team's own requests only
    decisions = node.governance.decisions(request_id)
    return {"req": public, "decisions": decisions, "checks": node.governance.checks(request_id)}


@router.get("/requests/{request_id}")
async def show_request(request: Request, request_id: str) -> Response:
    who = session.require(request, "requests.get")
    runner = await run(request)
    view = await runner.call(lambda n: _request_view(n, who, request_id[:40]))
    return render(request, "request_show.html", who=who, **view)


@router.post("/requests/{request_id}/submit")
async def submit(request: Request, request_id: str) -> Response:
    who = session.require(request, "requests.submit")
    await session.form(request)
    runner = await run(request)
    await runner.serial(lambda n: services.submit_request(n, who, request_id[:40]))
    view = await runner.call(lambda n: _request_view(n, who, request_id[:40]))
    return render(request, "request_show.html", who=who, **view)


def _grant_view(node: Node, who: Principal, grant_id: str) -> dict[str, Any]:
    grant = services.get_grant(node, who, grant_id)
    access.own_grant(node, who, grant_id)
    found = services_release.list_requests(
        node, who, None, OUTPUTS_SHOWN, 0, project=grant.request_id, grant_id=grant_id
    )
    return {
        "grant": grant, "outputs": found["items"], "outputs_total": found["total"],
        "jobs": grant_jobs(node, who, grant_id),
    }  # fmt: skip


async def _grant_page(request: Request, who: Principal, grant_id: str, **extra: Any) -> Response:
    runner = await run(request)
    view = await runner.call(lambda n: _grant_view(n, who, grant_id[:40]))
    extra = {"result": None, "report": None, "form": {}, **extra}
    return render(request, "grant.html", who=who, **view, **extra)


@router.get("/grants/{grant_id}")
async def grant(request: Request, grant_id: str) -> Response:
    who = session.require(request, "workspace.query")
    return await _grant_page(request, who, grant_id)


@router.post("/grants/{grant_id}/query")
async def query(request: Request, grant_id: str) -> Response:
    who = session.require(request, "workspace.query")
    fields = await session.form(request)
    body = schemas.QueryCreate.model_validate(
        {"name": fields.get("name", ""), "sql": fields.get("sql", "")}
    )
    runner = await run(request)
    result = await runner.call(lambda n: services.run_query(n, who, grant_id[:40], body))
    return await _grant_page(request, who, grant_id, result=result, form=fields)


def _counts_body(fields: dict[str, str]) -> schemas_release.CountsCheckCreate:
    dims = [d for d in fields.get("dims", "").splitlines() if d]
    return schemas_release.CountsCheckCreate.model_validate(
        {"condition": fields.get("condition", ""), "dims": dims}
    )


@router.post("/grants/{grant_id}/check")
async def check(request: Request, grant_id: str) -> Response:
    """The release desk's automatic checks on a table, before asking for it."""
    who = session.require(request, "workspace.condition_counts_check")
    fields = await session.form(request)
    body = _counts_body(fields)
    runner = await run(request)
    report = await runner.call(lambda n: services_release.check_counts(n, who, grant_id[:40], body))
    return await _grant_page(request, who, grant_id, report=report, form=fields)


@router.post("/grants/{grant_id}/release")
async def ask_release(request: Request, grant_id: str) -> Response:
    """Ask the release desk for the table; nothing leaves before two checkers approve."""
    who = session.require(request, "workspace.condition_counts")
    body = _counts_body(await session.form(request))
    runner = await run(request)
    await runner.serial(
        lambda n: services_release.condition_counts(
            n, who, grant_id[:40], body.condition, list(body.dims)
        )
    )
    return redirect(f"{PREFIX}/researcher/grants/{grant_id}?asked=1")


@router.get("/outputs/{output_id}/{name}.csv")
async def download(request: Request, output_id: str, name: str) -> Response:
    who = session.require(request, "release.files.get")
    runner = await run(request)
    path = await runner.call(
        lambda n: services_release.released_file(n, who, output_id[:40], name[:120])
    )
    return FileResponse(path, media_type="text/csv", filename=f"{name}.csv")
