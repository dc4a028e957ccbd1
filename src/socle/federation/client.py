"""The sites' ClientApp: each message (JSON in a ``ConfigRecord``) answered by
:class:`~socle.federation.site.Site` on the site's own node, opened afresh for every message
(read-only warehouse), so a withdrawal or an objection recorded a moment before applies.

It runs inside the site's SuperNode process (:mod:`socle.federation.executor`), with Socle
already imported: a message costs its answer, not a process start.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flwr.app import ConfigRecord, Context, Message, RecordDict
from flwr.clientapp import ClientApp

client = ClientApp()


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


@client.query()
def answer(message: Message, context: Context) -> Message:
    record = message.content["socle"]
    assert isinstance(record, ConfigRecord)
    home = Path(str(context.node_config["socle-home"]))
    reply = answer_json(home, str(context.node_config["site"]), str(record["json"]))
    return Message(RecordDict({"socle": ConfigRecord({"json": reply})}), reply_to=message)


def site_app() -> Callable[[Message, Context], Message]:
    """What the site's executor runs for Socle's app: the ClientApp above for Socle's own
    messages (``query``), the SecAgg+ ClientApp for the secure sums' (``train``)."""
    from socle.federation.secure import site_app as secure_app

    secure = secure_app()

    def dispatch(message: Message, context: Context) -> Message:
        app = client if message.metadata.message_type == "query" else secure
        return app(message=message, context=context)

    return dispatch


def secure_counts(home: str, site: str, config: dict[str, Any]) -> list[int]:
    """A site's exact count grid for SecAgg+ (:mod:`socle.federation.secure`), answered and
    audited like any message; a refusal raises, so the site drops out of the secure sum."""
    request = json.dumps({**config, "kind": "secure_count"})
    reply = json.loads(answer_json(Path(home), site, request))
    if reply["status"] != "ok":
        raise RuntimeError(f"{site} refused: {reply.get('reason', '')}")
    return [int(v) for v in reply["cells"]]
