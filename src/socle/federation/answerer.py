"""A site's answerer: the site's Socle code kept loaded beside its SuperNode, so a message costs
its answer, not a Python start with Socle's imports (several seconds on a busy machine).

The SuperNode (started by :mod:`socle.federation.supernode`) serves a Unix socket in the site's
own SuperNode folder (owner-only); the thin ClientApp Flower starts for each message
(``flower/socle_site_client.py``) hands the message's JSON to it and sends the reply back. The
answer is the same either way: :class:`~socle.federation.site.Site` on a freshly opened node
(read-only warehouse), so a withdrawal or an objection recorded a moment before applies.
"""

from __future__ import annotations

import json
import os
import socketserver
import threading
from pathlib import Path


def answer_json(home: Path, site: str, request: str) -> str:
    """Open the site's node, answer one message (JSON in, JSON out), close the node."""
    from socle.config import Settings
    from socle.federation.site import Site
    from socle.node import Node

    payload = json.loads(request)
    node = Node.open(Settings(home=home, warehouse_read_only=True))
    try:
        reply = Site(node, site).answer(
            str(payload.pop("study")), str(payload.pop("kind")), payload
        )
    finally:
        node.close()
    return json.dumps(reply)


def serve(path: Path, home: Path, site: str) -> threading.Thread:
    """Serve ``path`` in a daemon thread (one message at a time, like the SuperNode)."""
    lock = threading.Lock()

    class Handler(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            request = self.rfile.read().decode()
            with lock:
                reply = answer_json(home, site, request)
            self.wfile.write(reply.encode())

    path.unlink(missing_ok=True)
    old = os.umask(0o177)  # the socket is the site's own: owner read/write only
    try:
        server = socketserver.UnixStreamServer(str(path), Handler)
    finally:
        os.umask(old)
    thread = threading.Thread(target=server.serve_forever, name="socle-answerer", daemon=True)
    thread.start()
    # Import Socle now, in the background: the first message then finds it loaded.
    threading.Thread(target=_warm, daemon=True).start()
    return thread


def _warm() -> None:
    import socle.federation.site
    import socle.node  # noqa: F401
