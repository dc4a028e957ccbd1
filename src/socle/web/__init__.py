"""Web: server-rendered pages for every role, on the API's own operations.

Mounted at ``/web`` by :func:`socle.api.create_app`; FR/EN, cookie sessions,
CSRF on every form, the API's role policy, errors as pages a person reads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from socle.web.accounts import Account, create_demo_accounts
    from socle.web.app import create_web

__all__ = ["Account", "create_demo_accounts", "create_web"]


def __getattr__(name: str) -> Any:
    if name == "create_web":
        from socle.web.app import create_web

        return create_web
    if name in ("Account", "create_demo_accounts"):
        from socle.web import accounts

        return getattr(accounts, name)
    raise AttributeError(f"module 'socle.web' has no attribute {name!r}")
