"""Flower's SuperNode with the site's executor inside it (``python -m socle.federation.supernode``
takes ``flower-supernode``'s arguments; Socle passes ``--isolation process``).

Flower 1.41 starts one ``flwr-clientapp`` process per message and waits fixed delays: 3 s
between two pulls when the SuperLink had nothing for the node, 0.5 s between two looks for a
reply to send (``flwr.supernode.start_client_internal``; no flag changes them). This starts
the very same SuperNode with

- those two waits shortened: the idle one to ``SOCLE_SUPERNODE_POLL`` seconds (default 0.5),
  and to ``BRISK_POLL`` for ``BRISK`` seconds after a message (the next round of a task
  follows within a second: this is most of a round's latency), the reply one to 0.02 s;
- the site's executor (:mod:`socle.federation.executor`) in a thread of this process, woken as
  soon as the SuperNode has stored a message, running the site's own ClientApp here.

Every other wait, the TLS, the node authentication and the offline settings are Flower's.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

FLOWER_IDLE_WAIT = 3  # the constants in flwr.supernode.start_client_internal (1.41)
FLOWER_REPLY_WAIT = 0.5
REPLY_WAIT = 0.02
# For BRISK seconds after a message the SuperNode polls every BRISK_POLL s (the next round
# follows within a second). Each poll costs the SuperLink ~15 ms of CPU (HTTPS, the node's
# signature, its store): polling faster made rounds slower on a busy machine.
BRISK = 5.0
BRISK_POLL = 0.1
OBJECT_RETRY = 0.05  # seconds before asking again for a message's objects (Flower: 1 s)


class _Clock:
    """When the SuperNode last received a message."""

    last = -BRISK

    @classmethod
    def received(cls) -> None:
        cls.last = time.monotonic()


def _faster_time(poll: float) -> SimpleNamespace:
    """The ``time`` module as the SuperNode loop sees it, its fixed waits shortened."""

    def sleep(seconds: float) -> None:
        if seconds == FLOWER_IDLE_WAIT:
            brisk = time.monotonic() - _Clock.last < BRISK
            seconds = (
                float(os.environ.get("SOCLE_SUPERNODE_BRISK_POLL", BRISK_POLL)) if brisk else poll
            )
        elif seconds == FLOWER_REPLY_WAIT:
            seconds = REPLY_WAIT
        time.sleep(seconds)

    names = {n: getattr(time, n) for n in dir(time) if not n.startswith("_")}
    return SimpleNamespace(**{**names, "sleep": sleep})


def _waking(pull: Callable[..., Any], wake: Callable[[], None]) -> Callable[..., Any]:
    """Flower's pull-and-store, waking the executor when it stored a message."""

    def pull_and_store(*args: Any, **kwargs: Any) -> Any:
        run_id = pull(*args, **kwargs)
        if run_id is not None:
            _Clock.received()
            wake()
        return run_id

    return pull_and_store


def quick_object_pulls() -> None:
    """Retry a message's objects after 0.05 s, not Flower's 1 s (this process's pulls).

    Flower announces a message before it uploads the message's objects; a receiver that asks in
    between (the ServerApp polling for replies, a SuperNode polling for messages, the executor
    pulling its task's input) gets "not yet available" and backs off ``PULL_INITIAL_BACKOFF``,
    1 s, doubling. Traced on a three-site round: a reply pushed at 1.06 s reached the ServerApp
    at 2.19 s, one backoff later, and most rounds hit it once or twice. The backoff still
    doubles from 0.05 s up to Flower's cap, with Flower's limits on tries and time.
    """
    from flwr.supercore.inflatable import inflatable_utils

    defaults = inflatable_utils.pull_objects.__kwdefaults__
    if defaults is None or "initial_backoff" not in defaults:  # pinned to flwr 1.41
        raise RuntimeError("this Flower version has no pull_objects(initial_backoff=…)")
    defaults["initial_backoff"] = OBJECT_RETRY


def _runtime_address(argv: list[str]) -> str:
    port = argv[argv.index("--port") + 1] if "--port" in argv else "9094"
    return f"127.0.0.1:{port}"


def main() -> None:
    from flwr.supernode import start_client_internal as loop
    from flwr.supernode.cli import flower_supernode

    from socle.federation.client import site_app
    from socle.federation.executor import APP_ID, SiteExecutor

    executor = SiteExecutor(_runtime_address(sys.argv), {APP_ID: site_app()})
    loop.time = _faster_time(float(os.environ.get("SOCLE_SUPERNODE_POLL", "0.5")))  # type: ignore[attr-defined,assignment]
    loop._pull_and_store_message = _waking(loop._pull_and_store_message, executor.wake.set)
    quick_object_pulls()
    _warm()
    executor.start()
    sys.argv[0] = "flower-supernode"
    flower_supernode()


def _warm() -> None:
    """Import what an answer needs now, so the first message finds it loaded."""
    import socle.federation.site
    import socle.node  # noqa: F401


if __name__ == "__main__":
    main()
