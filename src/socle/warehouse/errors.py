"""Errors of the warehouse context."""

from socle.errors import SocleError


class WarehouseError(SocleError):
    """Base of warehouse errors."""


class ScopeError(WarehouseError):
    """A read was attempted outside a grant and consent filter, or beyond their scope."""

    exit_code = 4
