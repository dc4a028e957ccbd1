"""Home, sign-in and sign-out, and the language switch."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from socle.api import AuthenticationError, schemas, services
from socle.web import i18n, session
from socle.web.app import PREFIX, redirect, render, safe_next, signed_in_home

router = APIRouter()


@router.get("/")
async def home(request: Request) -> Response:
    return render(request, "home.html")


@router.get("/signin")
async def signin_page(request: Request, next: str = "") -> Response:
    return render(request, "signin.html", next=safe_next(next), failed=False)


@router.post("/signin")
async def signin(request: Request) -> Response:
    """Sign in with the embedded issuer: the API's accounts, throttle and token."""
    fields = await session.form(request)
    state = request.app.state.parent.state
    client = request.client.host if request.client else "unknown"
    body = schemas.TokenRequest(
        username=fields.get("username", "")[:200], password=fields.get("password", "")[:200]
    )
    try:
        who = await state.runner.call(
            lambda n: services.sign_in(state.users, state.throttle, body, client)
        )
    except AuthenticationError:
        page = render(request, "signin.html", status=401, next=safe_next(fields.get("next")),
                      failed=True)  # fmt: skip
        return page
    target = fields.get("next", "")
    response = redirect(safe_next(target) if target != PREFIX + "/" else signed_in_home(who))
    session.sign_in(request, response, state.issuer.issue(who), state.issuer.minutes)
    return response


@router.post("/signout")
async def signout(request: Request) -> Response:
    await session.form(request)
    response = redirect(PREFIX + "/")
    session.sign_out(response)
    return response


@router.post("/language")
async def language(request: Request) -> Response:
    """Switch the pages' language (kept in a cookie for a year)."""
    fields = await session.form(request)
    lang = fields.get("lang", i18n.DEFAULT)
    response = redirect(safe_next(fields.get("next")))
    if lang in i18n.LANGUAGES:
        response.set_cookie(
            i18n.COOKIE, lang, max_age=365 * 86400, samesite="lax",
            **session.cookie_options(request),
        )  # fmt: skip
    return response
