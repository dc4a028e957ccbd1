"""Flower's SuperNode, polling its SuperLink more often (``python -m socle.federation.supernode``
takes ``flower-supernode``'s arguments).

Flower 1.41 waits a fixed 3 s between two pulls when the SuperLink had no message for the
node (``flwr.supernode.start_client_internal``; no flag or setting changes it), which adds up
to 3 s to every message of every round. This starts the very same SuperNode with that one
wait shortened to ``SOCLE_SUPERNODE_POLL`` seconds (default 0.5); every other wait, the TLS,
the node authentication and the offline settings are Flower's, unchanged. With
``SOCLE_ANSWERER`` set, the same process also serves the site's answerer (Socle kept loaded
for the thin ClientApp: ``socle.federation.answerer``).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from types import SimpleNamespace

FLOWER_IDLE_WAIT = 3  # the constant in flwr.supernode.start_client_internal (1.41)


def _faster_time(poll: float) -> SimpleNamespace:
    """The ``time`` module as the SuperNode loop sees it, its 3 s idle wait shortened."""

    def sleep(seconds: float) -> None:
        time.sleep(poll if seconds == FLOWER_IDLE_WAIT else seconds)

    names = {n: getattr(time, n) for n in dir(time) if not n.startswith("_")}
    return SimpleNamespace(**{**names, "sleep": sleep})


def main() -> None:
    from flwr.supernode import start_client_internal as loop
    from flwr.supernode.cli import flower_supernode

    answerer = os.environ.get("SOCLE_ANSWERER")
    if answerer:  # the site's answerer beside the SuperNode (socle.federation.answerer)
        from socle.federation.answerer import serve

        serve(Path(answerer), Path(os.environ["SOCLE_SITE_HOME"]), os.environ["SOCLE_SITE_NAME"])
    loop.time = _faster_time(float(os.environ.get("SOCLE_SUPERNODE_POLL", "0.5")))  # type: ignore[attr-defined,assignment]
    sys.argv[0] = "flower-supernode"
    flower_supernode()


if __name__ == "__main__":
    main()
