"""Errors of the warehouse context."""

from socle.errors import SocleError


class WarehouseError(SocleError):
    """Base of warehouse errors."""


class ScopeError(WarehouseError):
    """A read was attempted outside a grant and consent filter, or beyond their scope."""

    exit_code = 4


class VocabularyError(WarehouseError):
    """A vocabulary export is missing or malformed."""

    exit_code = 2


class RekeyError(WarehouseError):
    """A key rotation would leave records under the retired key; nothing was changed."""

    exit_code = 2


class QueryLimitError(ScopeError):
    """A workspace query reached its time or memory limit and was stopped."""


class WarehouseBusyError(WarehouseError):
    """The warehouse's memory is taken by other reads at the moment; the same read may succeed
    a moment later (the API answers 503 with ``Retry-After``)."""

    exit_code = 3
    retry_after = 5  # seconds
