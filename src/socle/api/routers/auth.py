"""Sign in, who am I, and user accounts (administrator)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from socle.api import schemas as s
from socle.api import services
from socle.api.deps import Runner
from socle.api.policy import Authorized, authorize

public = APIRouter(tags=["auth"])
router = APIRouter(tags=["auth"], dependencies=[Depends(authorize)])


@public.post("/auth/token", name="auth.token", response_model=s.TokenPublic)
async def token(body: s.TokenRequest, request: Request, run: Runner) -> s.TokenPublic:
    """Exchange a username and password for a bearer token (the embedded issuer).

    Failed sign-ins are throttled per account and per client (429 with Retry-After).
    """
    state, client = request.app.state, request.client.host if request.client else "unknown"
    principal = await run.call(
        lambda n: services.sign_in(state.users, state.throttle, body, client)
    )
    return s.TokenPublic(
        access_token=state.issuer.issue(principal), expires_in=state.issuer.minutes * 60
    )


@router.get("/auth/me", name="auth.me", response_model=s.UserPublic)
async def me(user: Authorized) -> s.UserPublic:
    return s.UserPublic(
        username=user.subject, roles=sorted(user.roles), person_id=user.person_id,
        care_contexts=list(user.care_contexts),
    )  # fmt: skip


@router.post("/users", name="users.create", response_model=s.UserPublic, status_code=201)
async def create_user(
    body: s.UserCreate, request: Request, user: Authorized, run: Runner
) -> s.UserPublic:
    users = request.app.state.users
    return await run.serial(lambda n: services.create_user(n, users, user, body))
