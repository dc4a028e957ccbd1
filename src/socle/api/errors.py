"""Errors of the API context: authentication, permission, user accounts."""

from socle.errors import SocleError


class ApiError(SocleError):
    """Base of API errors."""

    exit_code = 2


class AuthenticationError(ApiError):
    """No valid credentials: unknown user, wrong password, or a bad or expired token."""


class PermissionDeniedError(ApiError):
    """The authenticated user's roles or scope do not allow this."""


class UserExistsError(ApiError):
    """A user with this name already exists."""
