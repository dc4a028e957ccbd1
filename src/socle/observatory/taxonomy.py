"""The published taxonomy: categories of use, specialities, AI Act classes, study designs.

Read from ``taxonomy.toml`` (packaged); entries are validated against it so the map's
filters and the Top 10 speak one vocabulary.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class Category:
    code: str
    title: str
    description: str


@dataclass(frozen=True)
class ObservatoryTaxonomy:
    version: int
    categories: dict[str, Category]
    specialities: tuple[str, ...]
    risk_classes: tuple[str, ...]
    act_roles: tuple[str, ...]
    designs: tuple[str, ...]
    checklists: tuple[str, ...]


UNCLASSIFIED = "unclassified"


@cache
def load_observatory_taxonomy() -> ObservatoryTaxonomy:
    """The packaged taxonomy (read once)."""
    text = resources.files("socle.observatory").joinpath("taxonomy.toml").read_text()
    data = tomllib.loads(text)
    categories = {
        code: Category(code, str(c["title"]), str(c["description"]))
        for code, c in data["categories"].items()
    }
    return ObservatoryTaxonomy(
        int(data["version"]), categories, tuple(data["specialities"]["codes"]),
        tuple(data["ai_act"]["risk_classes"]), tuple(data["ai_act"]["roles"]),
        tuple(data["evidence"]["designs"]), tuple(data["evidence"]["checklists"]),
    )  # fmt: skip
