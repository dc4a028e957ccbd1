"""The one vocabulary of roles: who acts, in the audit log, the domain's checks and the API.

A project's *team roles* (principal investigator, statistician…) are another
vocabulary, published in ``governance/roles.toml``.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    DATA_STEWARD = "data_steward"
    RESEARCHER = "researcher"
    COMMITTEE_MEMBER = "committee_member"
    CLINICIAN = "clinician"
    PATIENT = "patient"
    COLLEGE_MEMBER = "college_member"  # the human-guarantee college
    AUDITOR = "auditor"
    OUTPUT_CHECKER = "output_checker"  # reviews outputs at the release desk
    ADMINISTRATOR = "administrator"
    MAKER = "maker"  # a maker of AI tools submitting observatory entries
    OBSERVATORY_REVIEWER = "observatory_reviewer"  # independent reviewers of the observatory
    SYSTEM = "system"  # Socle itself: automatic checks, scheduled expiry; never a user's role


# The roles a user account may hold (every role but the system's own).
USER_ROLES: frozenset[Role] = frozenset(Role) - {Role.SYSTEM}
