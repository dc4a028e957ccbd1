"""Project teams: the published roles (``roles.toml``) and the rule a team must follow."""

from __future__ import annotations

import tomllib
from collections import Counter
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from socle.governance.errors import GovernanceError
from socle.governance.model import TeamMember


@dataclass(frozen=True)
class TeamRoles:
    """The allowed roles (code -> description), the lead role and the filer's default role.

    ``workspace`` maps each output type to the team roles that may open a
    grant's workspace for it.
    """

    roles: dict[str, str]
    lead: str
    filer: str
    workspace: dict[str, frozenset[str]] = field(default_factory=dict)

    def problems(self, team: tuple[TeamMember, ...]) -> list[str]:
        """Every reason ``team`` breaks the rule (empty when it follows it)."""
        found = []
        unnamed = sum(1 for m in team if not m.name.strip())
        if unnamed:
            found.append(f"{unnamed} team member(s) without a name")
        twice = sorted(name for name, n in Counter(m.name for m in team).items() if n > 1)
        if twice:
            found.append(f"listed more than once: {', '.join(twice)}")
        unknown = sorted({m.role for m in team} - set(self.roles))
        if unknown:
            found.append(
                f"unknown role(s) {', '.join(unknown)}; known roles: {', '.join(self.roles)}"
            )
        leads = sum(1 for m in team if m.role == self.lead)
        if leads != 1:
            found.append(f"the team needs exactly one {self.lead}, it has {leads}")
        return found


def load_team_roles(path: Path | None = None) -> TeamRoles:
    """Read the roles from ``path`` or the packaged default."""
    text = (
        path.read_text()
        if path
        else resources.files("socle.governance").joinpath("roles.toml").read_text()
    )
    data = tomllib.loads(text)
    roles = {str(code): str(text) for code, text in data["roles"].items()}
    lead, filer = str(data["rules"]["lead"]), str(data["rules"]["filer"])
    for name, role in (("lead", lead), ("filer", filer)):
        if role not in roles:
            raise GovernanceError(f"roles.toml: rules.{name} '{role}' is not one of the roles")
    workspace = {
        str(output): frozenset(str(r) for r in allowed)
        for output, allowed in data.get("workspace", {}).items()
    }
    for output, allowed in workspace.items():
        unknown = sorted(allowed - set(roles))
        if unknown:
            raise GovernanceError(
                f"roles.toml: workspace.{output} names unknown role(s) {', '.join(unknown)}"
            )
    return TeamRoles(roles, lead, filer, workspace)
