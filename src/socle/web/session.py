"""Browser sessions and CSRF: who is signed in, and that a form was sent by our own page.

The session cookie carries the access token of the same issuer the API uses
(the embedded one, or later the hospital's OpenID Connect provider), so a
page and an API call see the same principal and the same role policy. It is
``HttpOnly`` (no script reads it), ``SameSite=Lax`` and ``Secure`` whenever
the request came over TLS. Every form carries a CSRF token that must equal
the value of a second, ``SameSite=Strict`` cookie (double submit): another
site can neither read that value nor make the browser send it.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from socle.api import AuthenticationError, PermissionDeniedError, Principal, allowed_roles
from socle.errors import SocleError

SESSION = "socle_session"
CSRF = "socle_csrf"


class SignInRequired(SocleError):
    """The page needs a signed-in person; the handler sends the visitor to the sign-in page."""


class CsrfError(SocleError):
    """A form arrived without the token of the page that showed it."""


def principal(request: Request) -> Principal | None:
    """The signed-in person, or ``None`` (no cookie, or an expired or invalid token)."""
    token = request.cookies.get(SESSION)
    if not token:
        return None
    try:
        who: Principal = request.app.state.parent.state.verifier.verify(token)
    except AuthenticationError:
        return None
    return who


def require(request: Request, route: str) -> Principal:
    """The signed-in person, if the API's policy lets their roles call ``route``.

    A page is allowed exactly to the roles the API route it calls allows: deny by default.
    """
    who = principal(request)
    if who is None:
        raise SignInRequired("sign in to see this page")
    if not who.has_any(allowed_roles(route)):
        raise PermissionDeniedError(
            f"your roles ({', '.join(sorted(who.roles)) or 'none'}) may not use this page"
        )
    return who


def csrf_token(request: Request) -> str:
    """The token for this browser's forms (made on its first visit)."""
    token = request.cookies.get(CSRF) or getattr(request.state, "new_csrf", None)
    if not token:
        token = secrets.token_urlsafe(32)
        request.state.new_csrf = token
    return token


async def form(request: Request) -> dict[str, str]:
    """A posted form's fields, after checking its CSRF token against the cookie."""
    from urllib.parse import parse_qsl

    body = (await request.body()).decode("utf-8", errors="replace")
    fields: dict[str, str] = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        fields[key] = value if key not in fields else fields[key] + "\n" + value
    cookie = request.cookies.get(CSRF, "")
    sent = fields.pop("csrf", "")
    if not cookie or not hmac.compare_digest(cookie.encode(), sent.encode()):
        raise CsrfError(
            "this form was not sent from a page of this site, or the page is too old; "
            "go back, reload the page and send it again"
        )
    return fields


def cookie_options(request: Request) -> dict[str, Any]:
    return {"httponly": True, "secure": request.url.scheme == "https", "path": "/"}


def set_csrf_cookie(request: Request, response: Response) -> None:
    new = getattr(request.state, "new_csrf", None)
    if new:
        response.set_cookie(CSRF, new, samesite="strict", **cookie_options(request))


def sign_in(request: Request, response: Response, token: str, minutes: int) -> None:
    response.set_cookie(
        SESSION, token, max_age=minutes * 60, samesite="lax", **cookie_options(request)
    )


def sign_out(response: Response) -> None:
    response.delete_cookie(SESSION, path="/")
