"""The site's SuperExec, kept inside its SuperNode: every message is answered in a process that
is already running, with Socle already imported (Flower 1.41 starts a ``flwr-clientapp``
process per message, which costs seconds on a busy machine).

Flower's SuperNode runs with ``--isolation process`` (it starts no SuperExec of its own); this
thread takes its place. It asks the SuperNode's Runtime API (loopback) for ClientApp tasks — as
soon as the SuperNode has stored a message, woken by :func:`socle.federation.supernode` — and
runs each one as ``flwr-clientapp`` would (``flwr.supernode.runtime.run_clientapp``: pull the
message and context, call the ClientApp, push the reply and the context), but in this process
and with the site's *own* installed ClientApp: the code a hub sends in its app bundle is never
run at a site, and a run of any other app is refused.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

    from flwr.app import Context, Message
    from flwr.supercore.runtime import RuntimeHttpClient

    App = Callable[[Message, Context], Message]

LOG = logging.getLogger("socle.federation.executor")
APP_ID = "socle/socle-federation"  # the app's publisher/name (flower/pyproject.toml)
HEARTBEAT = 10.0  # seconds between a task's heartbeats (Flower expires a silent task at ~60 s)
IDLE_CHECK = 1.0  # seconds between two looks for a task when no message woke the executor


class SiteExecutor:
    """Acquire the SuperNode's ClientApp tasks and run them here, one at a time."""

    def __init__(self, runtime_address: str, apps: dict[str, App]) -> None:
        self.address, self.apps = runtime_address, apps
        self.wake = threading.Event()
        self.answered = 0

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self._loop, name="socle-site-executor", daemon=True)
        thread.start()
        return thread

    def _client(self, *interceptors: object) -> RuntimeHttpClient:
        from flwr.supercore.interceptors import RuntimeVersionHttpInterceptor
        from flwr.supercore.retry import make_simple_http_retry_invoker
        from flwr.supercore.runtime import RuntimeHttpClient

        return RuntimeHttpClient.from_server_address(
            server_address=self.address, insecure=True, root_certificates=None,
            interceptors=[*interceptors, RuntimeVersionHttpInterceptor(component_name="SuperExec")],  # type: ignore[list-item]
            retry_invoker=make_simple_http_retry_invoker(),
        )  # fmt: skip

    def _loop(self) -> None:
        from flwr.proto.runtime_pb2 import AcquireTaskRequest
        from flwr.supercore.constant import TaskType

        _wait_listening(self.address)
        client = self._client()
        request = AcquireTaskRequest(supported_task_types=[TaskType.CLIENT_APP.value])
        while True:
            self.wake.wait(IDLE_CHECK)
            self.wake.clear()
            try:
                while (res := client.AcquireTask(request)).HasField("task") and res.token:
                    self._run(res.token)
            except Exception:  # the SuperNode stopping, a transient HTTP error: look again
                LOG.exception("the site executor could not acquire a task")

    def _run(self, token: str) -> None:
        """One task, as ``flwr-clientapp`` runs it (pull, call the ClientApp, push)."""
        from flwr.app import Message
        from flwr.app.error import Error
        from flwr.common.constant import ErrorCode, SubStatus
        from flwr.supercore.interceptors import RuntimeTokenHttpInterceptor
        from flwr.supernode.runtime.run_clientapp import (
            pull_task_input,
            push_message,
            push_task_output,
        )

        client = self._client(RuntimeTokenHttpInterceptor(token))
        stop = threading.Event()
        threading.Thread(target=_heartbeat, args=(client, stop), daemon=True).start()
        context, status, details = None, SubStatus.FAILED, "refused"
        try:
            message, context, run, _fab = pull_task_input(client)
            app = self.apps.get(run.fab_id.lstrip("@"))
            if app is None:
                reason = f"this site runs only its own app ({APP_ID}), not '{run.fab_id[:60]}'"
                reply = Message(Error(code=ErrorCode.LOAD_CLIENT_APP_EXCEPTION, reason=reason),
                                reply_to=message)  # fmt: skip
            else:
                try:
                    reply = app(message, context)
                    status, details = SubStatus.COMPLETED, ""
                except Exception as exc:  # reported to the hub as Flower reports a ClientApp's
                    LOG.exception("the ClientApp raised")
                    reason = f"{type(exc).__name__}: {str(exc)[:200]}"
                    reply = Message(Error(code=ErrorCode.CLIENT_APP_RAISED_EXCEPTION,
                                          reason=reason), reply_to=message)  # fmt: skip
            push_message(client, reply, context)
            self.answered += 1
        finally:
            stop.set()
            try:
                push_task_output(client=client, context=context, sub_status=status,
                                 details=details)  # fmt: skip
            finally:
                client.close()


def _wait_listening(address: str) -> None:
    """Wait for the SuperNode's Runtime API (it starts in the same process, a moment later)."""
    import socket
    import time

    host, port = address.rsplit(":", 1)
    while True:
        with socket.socket() as s:
            if s.connect_ex((host, int(port))) == 0:
                return
        time.sleep(0.1)


def _heartbeat(client: RuntimeHttpClient, stop: threading.Event) -> None:
    """Tell the SuperNode the task is alive (Flower's own sender raises SIGINT on a failure,
    which would stop the whole SuperNode here)."""
    from flwr.proto.runtime_pb2 import SendTaskHeartbeatRequest

    while not stop.wait(HEARTBEAT):
        try:
            client.SendTaskHeartbeat(SendTaskHeartbeatRequest())
        except Exception:  # the task is over or the SuperNode busy: the next beat will tell
            LOG.debug("task heartbeat failed", exc_info=True)
