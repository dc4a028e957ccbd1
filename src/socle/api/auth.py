"""Bearer tokens: who is calling, and the verifier that says so.

:class:`TokenVerifier` is the seam for an external OpenID Connect provider:
an OIDC verifier checks the provider's signature (JWKS) and maps its claims
to a :class:`Principal`; the embedded default is :class:`LocalIssuer`, which
signs HS256 tokens itself after checking an argon2 password hash.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import jwt

from socle.api.errors import AuthenticationError
from socle.api.roles import Role


@dataclass(frozen=True)
class Principal:
    """The authenticated caller: a subject, its roles, and what scopes its reach."""

    subject: str
    roles: frozenset[Role]
    person_id: int | None = None  # a patient's own pseudonymous person id
    care_contexts: tuple[str, ...] = ()  # a clinician's care contexts

    def has_any(self, roles: frozenset[Role]) -> bool:
        return bool(self.roles & roles)


class TokenVerifier(Protocol):
    """Turns a bearer token into a principal, or raises :class:`AuthenticationError`."""

    def verify(self, token: str) -> Principal: ...


class LocalIssuer:
    """The embedded issuer: HS256 tokens signed with the node's secret."""

    algorithm = "HS256"

    def __init__(self, secret: str, issuer: str, minutes: int) -> None:
        self._secret, self.issuer, self.minutes = secret, issuer, minutes

    def issue(self, principal: Principal) -> str:
        now = datetime.now(UTC)
        claims: dict[str, Any] = {
            "sub": principal.subject,
            "iss": self.issuer,
            "iat": now,
            "exp": now + timedelta(minutes=self.minutes),
            "roles": sorted(principal.roles),
            "person_id": principal.person_id,
            "care_contexts": list(principal.care_contexts),
        }
        return jwt.encode(claims, self._secret, algorithm=self.algorithm)

    def verify(self, token: str) -> Principal:
        try:
            claims = jwt.decode(
                token, self._secret, algorithms=[self.algorithm], issuer=self.issuer,
                options={"require": ["sub", "exp", "iss"]},
            )  # fmt: skip
        except jwt.ExpiredSignatureError as exc:
            raise AuthenticationError("the access token has expired; sign in again") from exc
        except jwt.InvalidTokenError as exc:
            raise AuthenticationError(f"the access token is not valid ({exc})") from exc
        return _principal(claims)


def _principal(claims: dict[str, Any]) -> Principal:
    """The principal a token's claims describe; any malformed claim is a 401, never a 500."""
    subject, roles = claims.get("sub"), claims.get("roles", [])
    person_id, contexts = claims.get("person_id"), claims.get("care_contexts") or []
    if not isinstance(subject, str) or not subject:
        raise AuthenticationError("the access token has no valid subject")
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        raise AuthenticationError("the access token's roles must be a list of role names")
    if person_id is not None and (isinstance(person_id, bool) or not isinstance(person_id, int)):
        raise AuthenticationError("the access token's person_id must be a whole number")
    if not isinstance(contexts, list) or not all(isinstance(c, str) for c in contexts):
        raise AuthenticationError("the access token's care_contexts must be a list of names")
    try:
        granted = frozenset(Role(r) for r in roles)
    except ValueError as exc:
        raise AuthenticationError("the access token names an unknown role") from exc
    return Principal(subject, granted, person_id, tuple(contexts))
