"""The sites' ClientApp, kept thin: Flower starts it for every message, so it imports only
Flower and the standard library, and hands the message to the site's answerer (a Unix socket
its SuperNode serves: ``socle.federation.answerer``); without one it answers on the site's node
itself (Socle imported here, slower)."""

from __future__ import annotations

import socket
from pathlib import Path

from flwr.app import ConfigRecord, Context, Message, RecordDict
from flwr.clientapp import ClientApp

client = ClientApp()
TIMEOUT = 600.0


def ask(path: str, request: str) -> str:
    """Send one message's JSON to the answerer, read the reply to the end."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.settimeout(TIMEOUT)
        conn.connect(path)
        conn.sendall(request.encode())
        conn.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks).decode()


@client.query()
def answer(message: Message, context: Context) -> Message:
    record = message.content["socle"]
    assert isinstance(record, ConfigRecord)
    request = str(record["json"])
    path = str(context.node_config.get("answerer", ""))
    if path and Path(path).exists():
        reply = ask(path, request)
    else:
        from socle.federation.answerer import answer_json

        home = Path(str(context.node_config["socle-home"]))
        reply = answer_json(home, str(context.node_config["site"]), request)
    return Message(RecordDict({"socle": ConfigRecord({"json": reply})}), reply_to=message)
