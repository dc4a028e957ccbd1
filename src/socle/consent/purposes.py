"""The purpose taxonomy, read from configuration (``purposes.toml``)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Literal

from socle.consent.errors import UnknownPurposeError

Rule = Literal["opt-out", "opt-in"]


@dataclass(frozen=True)
class Purpose:
    code: str
    title: str
    rule: Rule


@dataclass(frozen=True)
class Taxonomy:
    """Purposes, forbidden purposes, and what each output type needs besides its grant's purpose.

    ``needs`` maps an output type (e.g. ``model_training``) to the purposes a
    patient's choices must also allow for their data to reach it: training a
    model under a ``research`` grant needs ``research`` *and* ``ai_training``.
    """

    purposes: dict[str, Purpose]
    forbidden: dict[str, str]
    needs: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def purposes_for(self, purpose: str, output_type: str | None = None) -> tuple[str, ...]:
        """Every purpose a use needs: the grant's own, then the output type's (no repeats)."""
        self.get(purpose)
        extra = self.needs.get(output_type, ()) if output_type else ()
        return tuple(dict.fromkeys((purpose, *extra)))

    def get(self, code: str) -> Purpose:
        if code not in self.purposes:
            known = ", ".join(sorted(self.purposes))
            raise UnknownPurposeError(f"unknown purpose '{code}'; known purposes: {known}")
        return self.purposes[code]


def load_taxonomy(path: Path | None = None) -> Taxonomy:
    """Read the taxonomy from ``path`` or the packaged default."""
    text = (
        path.read_text()
        if path
        else resources.files("socle.consent").joinpath("purposes.toml").read_text()
    )
    data = tomllib.loads(text)
    purposes = {
        code: Purpose(code, str(p["title"]), p["rule"]) for code, p in data["purposes"].items()
    }
    for p in purposes.values():
        if p.rule not in ("opt-out", "opt-in"):
            raise UnknownPurposeError(
                f"purpose '{p.code}' has rule '{p.rule}'; use opt-out or opt-in"
            )
    needs = {str(k): tuple(str(c) for c in v) for k, v in data.get("needs", {}).items()}
    for output_type, codes in needs.items():
        unknown = [c for c in codes if c not in purposes]
        if unknown:
            raise UnknownPurposeError(
                f"output type '{output_type}' needs unknown purposes {', '.join(unknown)}"
            )
    return Taxonomy(purposes, dict(data.get("forbidden", {})), needs)
