"""The purpose taxonomy, read from configuration (``purposes.toml``)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
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
    purposes: dict[str, Purpose]
    forbidden: dict[str, str]

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
    return Taxonomy(purposes, dict(data.get("forbidden", {})))
