"""API: the FastAPI application, one router per context, authentication and roles."""

from socle.api.app import api_routes, create_app
from socle.api.auth import LocalIssuer, Principal, TokenVerifier
from socle.api.errors import ApiError, AuthenticationError, PermissionDeniedError, UserExistsError
from socle.api.policy import POLICY, PUBLIC, allowed_roles
from socle.api.roles import ALL_ROLES, Role
from socle.api.settings import ApiSettings, jwt_secret
from socle.api.users import UserStore

__all__ = [
    "ALL_ROLES",
    "POLICY",
    "PUBLIC",
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
    "allowed_roles",
    "api_routes",
    "create_app",
    "jwt_secret",
]
