"""``Annotated`` dependencies shared by the routers.

All are ``async``: none blocks, and FastAPI would otherwise run each in a worker thread.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from socle.api.auth import Principal, TokenVerifier
from socle.api.errors import AuthenticationError
from socle.api.runner import NodeRunner

_bearer = HTTPBearer(auto_error=False, description="A token from POST /auth/token")


async def runner(request: Request) -> NodeRunner:
    node_runner: NodeRunner = request.app.state.runner
    return node_runner


async def verifier(request: Request) -> TokenVerifier:
    token_verifier: TokenVerifier = request.app.state.verifier
    return token_verifier


async def current_principal(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    token_verifier: Annotated[TokenVerifier, Depends(verifier)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise AuthenticationError("sign in first: send 'Authorization: Bearer <token>'")
    return token_verifier.verify(credentials.credentials)


Runner = Annotated[NodeRunner, Depends(runner)]
Limit = Annotated[int, Query(ge=1, le=500, description="Page size")]
Offset = Annotated[int, Query(ge=0, le=10_000_000, description="Items to skip")]
