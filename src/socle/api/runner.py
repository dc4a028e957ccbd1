"""One thread owns the node: every service call runs there, one at a time.

DuckDB connections (the warehouse) and the identity vault's SQLite
connection are not thread-safe, so the API opens the :class:`Node` on a
single worker thread and submits every call to it. Calls are serialised;
the event loop stays free to accept and parse requests meanwhile.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Literal, TypeVar

from sqlalchemy import Engine, event

from socle.config import Settings
from socle.node import Node

T = TypeVar("T")


class NodeRunner:
    def __init__(self, settings: Settings) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="socle-node")
        self.node: Node = self._pool.submit(Node.open, settings).result()

    async def call(self, fn: Callable[[Node], T]) -> T:
        """Run ``fn(node)`` on the node's thread and await its result."""
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn, self.node)

    def call_sync(self, fn: Callable[[Node], T]) -> T:
        return self._pool.submit(fn, self.node).result()

    def close(self) -> None:
        self._pool.submit(self.node.close).result()
        self._pool.shutdown()


def set_sqlite_synchronous(engine: Engine, mode: Literal["full", "normal"]) -> None:
    """Choose how SQLite syncs commits (an operator's durability/throughput trade-off)."""
    if engine.dialect.name != "sqlite" or mode == "full":
        return

    def pragma(dbapi_conn: object, _record: object) -> None:
        cursor = dbapi_conn.cursor()  # type: ignore[attr-defined]
        cursor.execute(f"PRAGMA synchronous={mode.upper()}")
        cursor.close()

    event.listen(engine, "connect", pragma)
    engine.dispose()  # connections opened before now reconnect with the pragma
