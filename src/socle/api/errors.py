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


class WeakPasswordError(ApiError):
    """A password breaks the policy (too short, common, or easy to guess)."""


class TooManyAttemptsError(ApiError):
    """Too many failed sign-ins from this account or client; wait before trying again."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class NotAHubError(ApiError):
    """A network route asked of a node that runs no hub (a state of this node, not a fault)."""


class NetworkUnavailableError(ApiError):
    """The hub's federated network cannot answer now: no hub, a site down, quorum lost."""
