"""Builders shared by the observatory tests."""

from __future__ import annotations

from typing import Any

from socle.node import Node
from socle.observatory import Study, ToolData

REVIEWER = "reviewer@observatory"


def tool(name: str, *, maker: str = "Acme AI", category: str = "prediction", **kw: Any) -> ToolData:
    return ToolData(name=name, maker=maker, category=category, **kw)


def study(design: str = "retrospective", *, year: int = 2024, external: bool = False) -> Study:
    return Study(title=f"{design} study", year=year, design=design, sample_size=500,
                 metrics={"auroc": 0.8}, external_validation=external)  # fmt: skip


def publish(node: Node, data: ToolData, *, submitter: str = "maker@acme") -> str:
    """Submit, review and publish an entry (by an independent reviewer); return its id."""
    reg = node.observatory.registry
    if node.observatory.reviews.declaration_of(REVIEWER) is None:
        node.observatory.reviews.declare_interests(REVIEWER, statement="no conflict")
    entry = reg.submit(data, actor=submitter, role="maker")
    node.observatory.reviews.review(entry.id, reviewer=REVIEWER)
    node.observatory.reviews.publish(entry.id, actor=REVIEWER)
    return entry.id
