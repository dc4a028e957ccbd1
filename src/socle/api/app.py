"""The FastAPI application: one node per process, one router per context.

At start-up the lifespan opens the node (:class:`~socle.api.runner.NodeRunner`),
loads the JWT secret (refusing a default one), the user store and the jobs,
and starts the expiry of grants (at start, then every ``SOCLE_EXPIRY_MINUTES``:
requests whose grant has expired move to *expired*, audited); at shutdown it
stops and closes them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.routing import APIRoute

from socle.api import problems
from socle.api.auth import LocalIssuer
from socle.api.jobs import Jobs
from socle.api.limits import BodyLimit
from socle.api.routers import (
    ai,
    audit,
    auth,
    catalog,
    college,
    consent,
    governance,
    guarantee,
    ingest,
    jobs,
    observatory,
    quality,
    release,
    workspace,
)
from socle.api.runner import NodeRunner
from socle.api.settings import ApiSettings, jwt_secret
from socle.api.throttle import SignInThrottle
from socle.api.users import UserStore
from socle.config import Settings
from socle.errors import SocleError

log = logging.getLogger("socle.api")

ROUTERS = (
    auth, ingest, quality, catalog, consent, governance, workspace, release, ai, guarantee, audit,
    jobs, observatory, college,
)  # fmt: skip


def create_app(
    settings: Settings | None = None, api_settings: ApiSettings | None = None
) -> FastAPI:
    node_settings = settings or Settings()
    options = api_settings or ApiSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runner = NodeRunner(node_settings, readers=options.threads, queries=options.query_threads)
        try:
            secret = jwt_secret(options, node_settings.secrets_dir)
            issuer = LocalIssuer(secret, options.jwt_issuer, options.token_minutes)
            app.state.runner, app.state.issuer, app.state.verifier = runner, issuer, issuer
            app.state.users = runner.call_sync(lambda n: UserStore(n.engine, n.audit))
            app.state.jobs = runner.call_sync(lambda n: Jobs(n.engine, runner))
            app.state.import_dir = options.import_dir or node_settings.home / "inbox"
            app.state.throttle = SignInThrottle(
                account_failures=options.signin_account_failures,
                client_failures=options.signin_client_failures,
                window_seconds=options.signin_window_seconds,
            )
            expiry = asyncio.create_task(expire_grants_every(runner, options.expiry_minutes))
            yield
            expiry.cancel()
        finally:
            runner.close()

    app = FastAPI(
        title="Socle",
        version="0.1.0",
        summary="A platform of trust for health data and AI.",
        description="Every route declares the roles it allows; anything else is denied. "
        "Errors are problem+json (RFC 9457). Sign in at POST /auth/token.",
        lifespan=lifespan,
        generate_unique_id_function=lambda route: route.name,  # operationId = policy name
    )
    problems.install(app)
    app.add_middleware(BodyLimit, max_bytes=options.max_body_bytes)

    @app.get("/health", name="health", tags=["health"])
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    app.include_router(auth.public)
    app.include_router(observatory.public)
    for module in ROUTERS:
        app.include_router(module.router)
    app.include_router(workspace.jobs_router)
    mount_web(app)
    return app


def mount_web(app: FastAPI) -> None:
    """The web pages at ``/web`` (their own error pages and policy checks); ``/`` leads there."""
    from starlette.responses import RedirectResponse

    from socle.web import create_web

    async def to_pages(request: Request) -> RedirectResponse:
        return RedirectResponse("/web/", status_code=307)

    app.mount("/web", create_web(app), name="web")
    app.add_route("/", to_pages, include_in_schema=False)


async def expire_grants_every(runner: NodeRunner, minutes: float) -> None:
    """Move the requests whose grant has expired to *expired* now, then every ``minutes``."""
    while True:
        try:
            expired = await runner.serial(lambda n: n.governance.expire_due(actor="scheduler"))
            if expired:
                log.info("grants expired: %d request(s) moved to expired", len(expired))
        except SocleError as exc:  # e.g. another worker moved one first; next round retries
            log.warning("grant expiry: %s", exc.message)
        await asyncio.sleep(minutes * 60)


def api_routes(app: FastAPI) -> list[APIRoute]:
    """Every operation of the app, including those of included routers."""
    found: list[APIRoute] = []

    def walk(routes: list[object]) -> None:
        for route in routes:
            if isinstance(route, APIRoute):
                found.append(route)
            elif hasattr(route, "original_router"):
                walk(route.original_router.routes)

    walk(list(app.routes))
    return found
