"""API: the FastAPI application, one router per context, authentication and roles.

Names are imported on first use (PEP 562), so ``from socle.api import Role`` does not load
FastAPI: the ``socle`` command stays fast for everything but ``socle serve``. ``services``
(one function per operation) and ``schemas`` are public too: the web pages call the very
same operations as the routes (:mod:`socle.web`).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from socle.api import (
        access,
        observatory,
        schemas,
        schemas_ai,
        schemas_release,
        services,
        services_ai,
        services_release,
    )
    from socle.api.app import api_routes, create_app
    from socle.api.auth import LocalIssuer, Principal, TokenVerifier
    from socle.api.errors import (
        ApiError,
        AuthenticationError,
        PermissionDeniedError,
        UserExistsError,
    )
    from socle.api.policy import POLICY, PUBLIC, allowed_roles
    from socle.api.problems import status_of
    from socle.api.roles import ALL_ROLES, Role
    from socle.api.settings import ApiSettings, jwt_secret
    from socle.api.tables import TABLES
    from socle.api.users import UserStore

_HOMES = {
    "socle.api.app": ("api_routes", "create_app"),
    "socle.api.auth": ("LocalIssuer", "Principal", "TokenVerifier"),
    "socle.api.errors": (
        "ApiError",
        "AuthenticationError",
        "PermissionDeniedError",
        "UserExistsError",
    ),
    "socle.api.policy": ("POLICY", "PUBLIC", "allowed_roles"),
    "socle.api.problems": ("status_of",),
    "socle.api.roles": ("ALL_ROLES", "Role"),
    "socle.api.settings": ("ApiSettings", "jwt_secret"),
    "socle.api.tables": ("TABLES",),
    "socle.api.users": ("UserStore",),
}
_MODULES = (
    "access", "observatory", "schemas", "schemas_ai", "schemas_release", "services", "services_ai",
    "services_release",
)  # fmt: skip
_MODULE_OF = {name: module for module, names in _HOMES.items() for name in names}

__all__ = [
    "ALL_ROLES",
    "POLICY",
    "PUBLIC",
    "TABLES",
    "ApiError",
    "ApiSettings",
    "AuthenticationError",
    "LocalIssuer",
    "PermissionDeniedError",
    "Principal",
    "Role",
    "TokenVerifier",
    "UserExistsError",
    "UserStore",
    "access",
    "allowed_roles",
    "api_routes",
    "create_app",
    "jwt_secret",
    "observatory",
    "schemas",
    "schemas_ai",
    "schemas_release",
    "services",
    "services_ai",
    "services_release",
    "status_of",
]


def __getattr__(name: str) -> Any:
    if name in _MODULES:
        return importlib.import_module(f"socle.api.{name}")
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'socle.api' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
