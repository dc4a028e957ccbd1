"""The web application: server-rendered pages mounted at ``/web`` in the API's app.

It has no state of its own: it reads the node, the issuer and the user store
of the API's app (``parent``), and every page calls the API's operations
(:mod:`socle.api.services`) with the signed-in person as the audited actor.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pydantic import ValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from socle.api import Principal, status_of
from socle.errors import SocleError, crash_place
from socle.figures import Figures
from socle.web import i18n, session

log = logging.getLogger("socle.web")
HERE = Path(__file__).parent
PREFIX = "/web"

_env = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def translator(request: Request) -> i18n.Translator:
    lang = i18n.negotiate(
        request.headers.get("accept-language", ""), request.cookies.get(i18n.COOKIE)
    )
    return i18n.Translator(lang)


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """A page in the visitor's language, with their identity and a CSRF token for its forms."""
    from socle.web.pages import HOME_OF_ROLE

    t = translator(request)
    who = context.pop("who", None) or session.principal(request)
    html = _env.get_template(template).render(
        t=t, lang=t.lang, who=who, csrf=session.csrf_token(request), path=request.url.path,
        query=request.url.query, prefix=PREFIX, roles=sorted(who.roles) if who else [], role_pages=HOME_OF_ROLE,
        **context,
    )  # fmt: skip
    response = HTMLResponse(html, status_code=status)
    session.set_csrf_cookie(request, response)
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    return response


def redirect(to: str) -> RedirectResponse:
    return RedirectResponse(to, status_code=303)


def safe_next(target: str | None) -> str:
    """Only a path of this site: never an address that leads the visitor elsewhere."""
    if target and target.startswith(PREFIX + "/") and not target.startswith("//"):
        return target
    return PREFIX + "/"


async def run(request: Request) -> Any:
    return request.app.state.parent.state.runner


def figures(request: Request) -> Figures:
    """The figures this app reuses while their inputs are unchanged (:mod:`socle.figures`)."""
    kept: Figures = request.app.state.figures
    return kept


async def _error_page(request: Request, exc: Exception) -> Response:
    t = translator(request)
    if isinstance(exc, session.SignInRequired):
        return redirect(f"{PREFIX}/signin?next={request.url.path}")
    if isinstance(exc, session.CsrfError):
        status, detail = 403, exc.message
    elif isinstance(exc, SocleError):
        status, detail = status_of(exc), exc.message
        if status in (401, 403):
            await _audit_denial(request, status, type(exc).__name__)
    elif isinstance(exc, ValidationError):
        problems = "; ".join(str(e.get("msg", "")) for e in exc.errors()[:3])
        status, detail = 422, t("error.form", problems=problems)
    elif isinstance(exc, HTTPException):
        status, detail = exc.status_code, t(f"error.{exc.status_code}.detail")
    else:
        log.error(
            "unexpected %s at %s on %s %s",
            type(exc).__name__, crash_place(exc), request.method, request.url.path,
        )  # fmt: skip
        status, detail = 500, t("error.500.detail")
    return render(request, "error.html", status=status, status_code=status, detail=detail)


async def _audit_denial(request: Request, status: int, error: str) -> None:
    who = session.principal(request)
    runner = request.app.state.parent.state.runner
    actor = who.subject if who else "anonymous"
    role = ",".join(sorted(who.roles)) if who else "none"
    details = {"method": request.method, "status": status, "error": error}
    await runner.call(
        lambda n: n.audit.record(
            actor=actor, role=role, action="access.denied", object=f"web:{request.url.path}",
            outcome="denied", details=details,
        )
    )  # fmt: skip


def create_web(parent: FastAPI) -> FastAPI:
    """The pages' app; ``parent`` is the API's app whose node and issuer they use."""
    from socle.web.pages import ROUTERS

    web = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    web.state.parent = parent
    web.state.figures = Figures()
    web.state.loads = {}  # job id -> progress of a load started from the steward's page
    web.add_exception_handler(Exception, _error_page)
    web.add_exception_handler(SocleError, _error_page)
    web.add_exception_handler(HTTPException, _error_page)
    web.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    for router in ROUTERS:
        web.include_router(router)
    return web


def signed_in_home(who: Principal) -> str:
    """Where a person lands after signing in: the page of their first role."""
    from socle.web.pages import HOME_OF_ROLE

    for role in sorted(who.roles):
        if role in HOME_OF_ROLE:
            return PREFIX + HOME_OF_ROLE[role]
    return PREFIX + "/"
