"""Figures reused until what they were computed from changes.

A figure is kept under a key that names *everything* it depends on (for the
catalogue's counts: the warehouse's generation, the day, the consent registry's
version, the dataset's registration and quality dates). A changed input is a new
key, so nothing is invalidated by hand and a stale figure cannot be served. Only
figures that are the same for every reader are kept (published counts, charts);
nothing of one signed-in person is, so no memo can show one person's data to
another.

Concurrent readers of a missing figure wait for the one computing it (single
flight): a burst of requests for a new figure costs one computation, not one per
request — on a large warehouse, parallel recomputations had exhausted DuckDB's
memory limit.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from typing import Any, TypeVar

T = TypeVar("T")
SIZE = 64  # figures kept (least recently used dropped first)


class Figures:
    """A small thread-safe memo: ``get(key, make)`` computes once per key."""

    def __init__(self, size: int = SIZE) -> None:
        self.size = size
        self._kept: OrderedDict[Hashable, Any] = OrderedDict()
        self._making: dict[Hashable, Future[Any]] = {}
        self._lock = threading.Lock()
        self.made = 0  # how many figures were computed (the tests read it)

    def get(self, key: Hashable, make: Callable[[], T]) -> T:
        with self._lock:
            if key in self._kept:
                self._kept.move_to_end(key)
                value: T = self._kept[key]
                return value
            pending = self._making.get(key)
            if pending is None:
                mine: Future[Any] = Future()
                self._making[key] = mine
        if pending is not None:  # another thread is computing it: wait for its result
            waited: T = pending.result()
            return waited
        try:
            value = make()  # outside the lock: other figures are not held up meanwhile
        except BaseException as exc:
            with self._lock:
                del self._making[key]
            mine.set_exception(exc)  # the waiters get the same error; the next call retries
            raise
        with self._lock:
            del self._making[key]
            self.made += 1
            self._kept[key] = value
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)
        mine.set_result(value)
        return value
