"""Figures the pages reuse until what they were computed from changes.

A figure is kept under a key that names *everything* it depends on: the
warehouse's generation (it changes with every load, vocabulary or re-key),
the day and the consent registry's version (the newest recorded choice: an
objection makes a new key at once), the latest committee decision. A changed input is a new key, so nothing is
invalidated by hand and a stale figure cannot be served. Only figures that are
the same for every visitor are kept (published counts, the committee's
chart); nothing of one signed-in person is, so no cache can show one person's
data to another.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, TypeVar

from socle.catalog import Dataset
from socle.node import Node

T = TypeVar("T")
SIZE = 64  # figures kept (least recently used dropped first)


class Figures:
    """A small thread-safe memo: ``get(key, make)`` computes once per key."""

    def __init__(self, size: int = SIZE) -> None:
        self.size = size
        self._kept: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self.made = 0  # how many figures were computed (the tests read it)

    def get(self, key: Hashable, make: Callable[[], T]) -> T:
        with self._lock:
            if key in self._kept:
                self._kept.move_to_end(key)
                value: T = self._kept[key]
                return value
        value = make()  # outside the lock: another page is not held up meanwhile
        with self._lock:
            self.made += 1
            self._kept[key] = value
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)
        return value


def dataset_for_purpose(
    node: Node, figures: Figures, dataset_id: str, purpose: str, *, actor: str, role: str
) -> Dataset:
    """``Catalog.for_purpose`` (counts on the persons whose choices allow ``purpose``), computed
    once per warehouse generation, day, recorded consent choice and dataset registration.

    The catalogue's audit event (``catalog.dictionary``) is written when the figures are
    computed from the rows, not for every view of the same published figures.
    """
    today = datetime.now(UTC).date()
    generation = node.warehouse.generation  # read before the rows: a later load is a new key
    choices = node.consent.version()  # before the rows too: a later choice is a new key
    ds = node.catalog.get(dataset_id)
    key = (
        "dataset", dataset_id, purpose, generation, today, choices, ds.registered_at,
        ds.quality_at,
    )  # fmt: skip

    def count() -> Dataset:
        return node.catalog.for_purpose(
            dataset_id, warehouse=node.warehouse, consent=node.consent, purpose=purpose,
            actor=actor, role=role, on=today,
        )  # fmt: skip

    counted = figures.get(key, count)
    return replace(ds, population=counted.population, variables=counted.variables)
