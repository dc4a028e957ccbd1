"""A cache keyed by pieces of note text, bounded by the characters it holds.

Notes are templated, so the work done on a line (its tokens, its pattern findings)
is kept for the next note holding the same line. The cache lives in the process's
memory only — never written, never logged — and holds at most ``max_chars``
characters of keys, the oldest entries dropped first; a key longer than
:data:`MAX_KEY_CHARS` is not kept.
"""

from __future__ import annotations

import threading
from typing import Generic, TypeVar

V = TypeVar("V")
MAX_KEY_CHARS = 2_000


class TextCache(Generic[V]):
    """A dict keyed by texts; the oldest go once the keys pass ``max_chars`` characters."""

    def __init__(self, max_chars: int) -> None:
        self.max_chars, self.chars = max_chars, 0
        self.values: dict[str, V] = {}
        self.get = self.values.get  # the hot path: a plain dict lookup, no lock
        self._lock = threading.Lock()  # puts (misses) and clears, from any thread

    def put(self, key: str, value: V) -> None:
        if len(key) > MAX_KEY_CHARS:
            return
        with self._lock:
            if key in self.values:
                return
            self.values[key] = value
            self.chars += len(key)
            while self.chars > self.max_chars:
                oldest = next(iter(self.values))
                self.chars -= len(oldest)
                del self.values[oldest]

    def clear(self) -> None:
        with self._lock:
            self.values.clear()
            self.chars = 0
