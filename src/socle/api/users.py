"""User accounts of the embedded issuer: argon2 password hashes, roles, scope.

The table lives in the governance store (SQLite or PostgreSQL) and belongs
to the API context. A patient account holds the patient's pseudonymous
person id (never a source id or a name); a clinician account its care
contexts. Creating an account is audited.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, select

from socle.api.auth import Principal
from socle.api.errors import AuthenticationError, UserExistsError
from socle.api.passwords import check_password
from socle.api.roles import Role
from socle.api.tables import api_user
from socle.audit import AuditLog

# A hash to verify against when the user is unknown, so timing does not reveal who exists.
_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("socle-no-such-user")


class UserStore:
    def __init__(self, engine: Engine, audit: AuditLog) -> None:
        self.engine, self.audit = engine, audit

    def create(
        self,
        username: str,
        password: str,
        roles: frozenset[Role],
        *,
        person_id: int | None = None,
        care_contexts: tuple[str, ...] = (),
        actor: str,
    ) -> Principal:
        """Create an account; the password must follow the policy and is kept as an argon2 hash."""
        check_password(password, username)
        with self.engine.begin() as conn:
            exists = conn.execute(
                select(api_user.c.id).where(api_user.c.username == username)
            ).first()
            if exists is not None:
                raise UserExistsError(f"a user named '{username}' already exists")
            user_id = "user-" + uuid.uuid4().hex[:10]
            conn.execute(
                api_user.insert().values(
                    id=user_id, username=username, password_hash=_hasher.hash(password),
                    roles=sorted(roles), person_id=person_id, care_contexts=list(care_contexts),
                    created_at=datetime.now(UTC),
                )
            )  # fmt: skip
            self.audit.append(
                conn, actor=actor, role=Role.ADMINISTRATOR, action="user.create",
                object=user_id, details={"roles": sorted(roles)},
            )  # fmt: skip
        return Principal(username, roles, person_id, care_contexts)

    def authenticate(self, username: str, password: str) -> Principal:
        """The principal for a correct password; one message for every failure."""
        with self.engine.connect() as conn:
            row = conn.execute(select(api_user).where(api_user.c.username == username)).first()
        try:
            _hasher.verify(row.password_hash if row else _DUMMY_HASH, password)
        except (VerificationError, InvalidHashError) as exc:
            raise AuthenticationError("unknown user or wrong password") from exc
        if row is None:
            raise AuthenticationError("unknown user or wrong password")
        return Principal(
            row.username, frozenset(Role(r) for r in row.roles), row.person_id,
            tuple(row.care_contexts),
        )  # fmt: skip

    def count(self) -> int:
        with self.engine.connect() as conn:
            return len(conn.execute(select(api_user.c.id)).all())
