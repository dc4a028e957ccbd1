"""The patient's pages: choices per purpose in plain words, history, projects, FHIR export.

Objecting, or withdrawing an objection, takes two clicks: the choice, then its
confirmation. Each change is recorded by the API's own operation, effective
today, audited with the patient's account as actor.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from socle.api import Principal, access, schemas, services
from socle.consent import ConsentService, UnknownPurposeError
from socle.node import Node
from socle.web import session
from socle.web.app import PREFIX, redirect, render, run

router = APIRouter(prefix="/patient")

# What the one button of a purpose does, by its rule and the patient's current choice.
NEXT_KIND = {
    ("opt-out", True): "objection",
    ("opt-out", False): "withdraw_objection",
    ("opt-in", False): "opt_in",
    ("opt-in", True): "withdraw_opt_in",
}


def _view(node: Node, who: Principal) -> dict[str, Any]:
    mine = services.my_consent(node, who, 500, 0)
    uses = services.my_uses(node, who, 500, 0)["items"]
    return {"states": mine.states, "history": mine.history.items, "uses": uses}


@router.get("")
async def patient(request: Request) -> Response:
    who = session.require(request, "consent.mine")
    runner = await run(request)
    view = await runner.call(lambda n: _view(n, who))
    done = bool(request.query_params.get("done"))
    return render(request, "patient.html", who=who, next_kind=NEXT_KIND, request_done=done, **view)


@router.get("/choice/{purpose}")
async def confirm(request: Request, purpose: str) -> Response:
    """The second click: what the change means, and a button to confirm it."""
    who = session.require(request, "consent.my_choice")
    runner = await run(request)
    view = await runner.call(lambda n: _view(n, who))
    state = next((s for s in view["states"] if s.purpose == purpose), None)
    if state is None:
        raise UnknownPurposeError(f"there is no purpose '{purpose[:60]}'")
    kind = NEXT_KIND[(state.rule, state.included)]
    return render(request, "patient_confirm.html", who=who, state=state, kind=kind)


@router.post("/choice")
async def choose(request: Request) -> Response:
    who = session.require(request, "consent.my_choice")
    fields = await session.form(request)
    body = schemas.ConsentChoiceCreate.model_validate(
        {"purpose": fields.get("purpose", ""), "kind": fields.get("kind", "")}
    )
    runner = await run(request)
    await runner.serial(lambda n: services.my_choice(n, who, body))
    return redirect(f"{PREFIX}/patient?done={body.purpose}")


@router.get("/consent.json")
async def fhir_export(request: Request) -> Response:
    """The patient's history as FHIR R4 Consent resources, to keep or take elsewhere."""
    who = session.require(request, "consent.mine")
    person = access.own_person(who)
    runner = await run(request)
    bundle = await runner.call(
        lambda n: ConsentService.for_node(n).export_fhir_of_person(person, f"Patient/{person}")
    )
    return Response(
        orjson.dumps(bundle, option=orjson.OPT_INDENT_2),
        media_type="application/fhir+json",
        headers={"Content-Disposition": 'attachment; filename="my-consent.fhir.json"'},
    )
