"""The roles of Socle's users: each route allows some of them, and denies the rest.

The vocabulary is the domain's (:mod:`socle.roles`); the system's own role is no user's.
"""

from __future__ import annotations

from socle.roles import USER_ROLES, Role

ALL_ROLES: frozenset[Role] = USER_ROLES

__all__ = ["ALL_ROLES", "Role"]
