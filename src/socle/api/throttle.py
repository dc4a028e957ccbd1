"""Sign-in throttling: after too many failures, an account or a client waits (429).

Failures are counted per account and per client address over a sliding
window. Once either reaches its limit, every sign-in for that account (or
from that client) is refused until the oldest failure leaves the window,
even with the right password, and the 429 says when to retry. A success
clears the account's count. State is in memory, per API process.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable

from socle.api.errors import TooManyAttemptsError

MAX_TRACKED = 100_000  # keys kept at most; the least recently failed are forgotten first


class SignInThrottle:
    def __init__(
        self,
        *,
        account_failures: int = 5,
        client_failures: int = 20,
        window_seconds: int = 900,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limits = {"account": account_failures, "client": client_failures}
        self.window, self.clock = window_seconds, clock
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def check(self, account: str, client: str) -> None:
        """Refuse (429) if the account or the client has used up its failures."""
        now = self.clock()
        with self._lock:
            waits = [
                self._wait(kind, key, now)
                for kind, key in (("account", account), ("client", client))
            ]
        wait = max(waits)
        if wait > 0:
            raise TooManyAttemptsError(
                f"too many failed sign-ins for this account or from this client; try again in "
                f"{wait} seconds",
                retry_after=wait,
            )

    def failed(self, account: str, client: str) -> None:
        now = self.clock()
        with self._lock:
            for key in (("account", account), ("client", client)):
                self._failures.setdefault(key, deque()).append(now)
                self._failures[key] = self._failures.pop(key)  # most recent last
            while len(self._failures) > MAX_TRACKED:
                self._failures.pop(next(iter(self._failures)))

    def succeeded(self, account: str) -> None:
        with self._lock:
            self._failures.pop(("account", account), None)

    def _wait(self, kind: str, key: str, now: float) -> int:
        times = self._failures.get((kind, key))
        if not times:
            return 0
        while times and times[0] <= now - self.window:
            times.popleft()
        if len(times) < self.limits[kind]:
            return 0
        return max(1, math.ceil(times[-self.limits[kind]] + self.window - now))
