"""The demo's accounts, one per role, named as the demo's actors so that every page shows
their own work (the researcher's project, the chair's reviews, the clinician's predictions).

Passwords are generated for each node and printed once by ``socle demo --serve``;
they follow the password policy like every account.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from socle.api import Role, UserExistsError, UserStore
from socle.node import Node

# (role, user name, care contexts): the demo's actors (socle.demo), one per role.
DEMO_ACTORS: tuple[tuple[Role, str, tuple[str, ...]], ...] = (
    (Role.DATA_STEWARD, "steward@hospital", ()),
    (Role.RESEARCHER, "researcher@lab", ()),
    (Role.COMMITTEE_MEMBER, "chair@committee", ()),
    (Role.COMMITTEE_MEMBER, "member2@committee", ()),
    (Role.OUTPUT_CHECKER, "checker1@output-desk", ()),
    (Role.OUTPUT_CHECKER, "checker2@output-desk", ()),
    (Role.CLINICIAN, "dr.house@hospital", ("gp-clinic",)),
    # The demo's chair of the college (appointed by the demo): their decisions count.
    (Role.COLLEGE_MEMBER, "college.chair@hospital", ()),
    (Role.AUDITOR, "auditor@hospital", ()),
    (Role.ADMINISTRATOR, "admin@hospital", ()),
)
PATIENT = "patient@portal"


@dataclass(frozen=True)
class Account:
    role: str
    username: str
    password: str


def demo_password() -> str:
    """A fresh password that the policy accepts (length and strength)."""
    return "Socle-" + secrets.token_urlsafe(12)


def create_demo_accounts(node: Node, patient_source_id: str) -> list[Account]:
    """One account per role (the patient linked to ``patient_source_id``), audited as created
    by the administrator. Accounts that already exist are left as they are (not listed)."""
    users = UserStore(node.engine, node.audit)
    made = []
    wanted = [*DEMO_ACTORS, (Role.PATIENT, PATIENT, ())]
    for role, name, contexts in wanted:
        password = demo_password()
        person = node.person_id(patient_source_id) if role == Role.PATIENT else None
        try:
            users.create(
                name, password, frozenset({role}), person_id=person, care_contexts=contexts,
                actor="admin@hospital",
            )  # fmt: skip
        except UserExistsError:
            continue
        made.append(Account(str(role), name, password))
    return made
