"""Errors as problem+json (RFC 9457): a status, a title, and a detail a person can act on.

Only this module knows how a typed Socle error becomes an HTTP status. The
detail is the error's own message, which never carries patient data.
"""

from __future__ import annotations

import json
import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from socle.ai import ModelNotFoundError, ModelSuspendedError, StageError, UnsafeArtifactError
from socle.api.errors import (
    AuthenticationError,
    NetworkUnavailableError,
    NotAHubError,
    PermissionDeniedError,
    TooManyAttemptsError,
    UserExistsError,
)
from socle.audit import TamperedLogError
from socle.errors import SocleError, crash_place
from socle.governance import (
    ConflictOfInterestError,
    GrantError,
    NotAppointedError,
    NotFoundError,
    NotOnTeamError,
    SeparationOfDutiesError,
    TransitionError,
)
from socle.observatory import EntryNotFoundError, WorkflowError
from socle.release import BudgetError, DeskError
from socle.release import NotFoundError as OutputNotFoundError
from socle.warehouse import QueryLimitError, ScopeError, WarehouseBusyError

log = logging.getLogger("socle.api")

MEDIA_TYPE = "application/problem+json"


class ProblemResponse(JSONResponse):
    """problem+json, ASCII-escaped so that any text a client sent can be echoed safely."""

    media_type = MEDIA_TYPE

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=True, separators=(",", ":")).encode("ascii")


# Most specific first; any other Socle error is a request the service cannot process (422).
STATUS: list[tuple[type[SocleError], int]] = [
    (AuthenticationError, 401),
    (TooManyAttemptsError, 429),
    (PermissionDeniedError, 403),
    (GrantError, 403),
    (NotOnTeamError, 403),
    (WarehouseBusyError, 503),
    (NetworkUnavailableError, 503),
    (NotAHubError, 409),
    (QueryLimitError, 422),
    (ScopeError, 403),
    (ConflictOfInterestError, 403),
    (NotAppointedError, 403),
    (SeparationOfDutiesError, 403),
    (NotFoundError, 404),
    (OutputNotFoundError, 404),
    (BudgetError, 409),
    (DeskError, 409),
    (ModelNotFoundError, 404),
    (ModelSuspendedError, 409),
    (StageError, 409),
    (UnsafeArtifactError, 409),
    (EntryNotFoundError, 404),
    (WorkflowError, 409),
    (UserExistsError, 409),
    (TransitionError, 409),
    (TamperedLogError, 409),
]


def status_of(exc: SocleError) -> int:
    return next((code for cls, code in STATUS if isinstance(exc, cls)), 422)


def problem(status: int, detail: str, request: Request, **extra: Any) -> JSONResponse:
    slug = HTTPStatus(status).phrase.lower().replace(" ", "-")
    body = {
        "type": f"https://socle.dev/problems/{slug}",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        **extra,
    }
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return ProblemResponse(body, status_code=status, headers=headers)


# Refusals worth an audit event: who was turned away from what.
DENIED = frozenset({401, 403, 429})


async def _socle_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, SocleError)
    status = status_of(exc)
    if status in DENIED:
        await _audit_denial(request, status, type(exc).__name__)
    response = problem(status, exc.message, request, error=type(exc).__name__)
    if isinstance(exc, TooManyAttemptsError | WarehouseBusyError):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


def _caller(request: Request) -> tuple[str, str]:
    """The subject and roles of a valid bearer token, else ("anonymous", "none")."""
    header = request.headers.get("authorization", "")
    verifier = getattr(request.app.state, "verifier", None)
    if verifier is None or not header.lower().startswith("bearer "):
        return "anonymous", "none"
    try:
        who = verifier.verify(header[7:].strip())
    except SocleError:
        return "anonymous", "none"
    return who.subject, ",".join(sorted(who.roles)) or "none"


async def _audit_denial(request: Request, status: int, error: str) -> None:
    """Append an ``access.denied`` event (route, method, status; never the request's body)."""
    runner = getattr(request.app.state, "runner", None)
    if runner is None:
        return
    actor, role = _caller(request)
    route = getattr(request.scope.get("route"), "name", "") or "unknown-route"
    details = {"method": request.method, "status": status, "error": error}
    try:
        await runner.call(
            lambda n: n.audit.record(
                actor=actor, role=role, action="access.denied", object=route,
                outcome="denied", details=details,
            )
        )  # fmt: skip
    except Exception as exc:  # an audit failure must not hide the refusal itself
        log.error("could not audit a refused %s %s: %s", request.method, route, type(exc).__name__)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"where": ".".join(str(p) for p in e.get("loc", ())), "problem": e.get("msg", "")}
        for e in exc.errors()
    ]
    summary = "; ".join(f"{e['where']}: {e['problem']}" for e in errors[:5])
    return problem(422, f"the request is not valid: {summary}", request, errors=errors)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    return problem(exc.status_code, detail, request)


def _log_unexpected(exc: BaseException, method: str, path: str) -> None:
    """Type and place only: an unexpected error's message may quote data; no traceback."""
    log.error("unexpected %s at %s on %s %s", type(exc).__name__, crash_place(exc), method, path)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    _log_unexpected(exc, request.method, request.url.path)
    return problem(500, UNEXPECTED, request)


UNEXPECTED = "an unexpected error occurred; it was logged for the operators"


class ContainUnexpected:
    """ASGI guard inside Starlette's outermost middleware: an unexpected error becomes a 500
    problem here and goes no further. Starlette's own server-error layer re-raises it to the
    server, which would log the full traceback (and its message, which may quote data)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking)
        except Exception as exc:  # the last guard: logged by type and place
            request = Request(scope)
            _log_unexpected(exc, request.method, request.url.path)
            if not started:
                await problem(500, UNEXPECTED, request)(scope, receive, send)


def install(app: FastAPI) -> None:
    app.add_exception_handler(SocleError, _socle_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
    app.add_middleware(ContainUnexpected)
