"""The roles of Socle's users: each route allows some of them, and denies the rest."""

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


ALL_ROLES: frozenset[Role] = frozenset(Role)
