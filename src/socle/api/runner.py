"""The node shared by the API's worker threads: reads run side by side, changes take turns.

:meth:`NodeRunner.call` runs a read on a pool of threads: each has its own
DuckDB cursor (MVCC; a slow workspace query blocks nobody) and its own pooled
connection to the governance store, so light requests are answered while a
long one runs. :meth:`NodeRunner.serial` runs a state change on one thread, so
the read-check-write steps of a transition (a request's state, a consent
choice) never interleave within a process; the audit log's own lock orders
appends across threads and processes. :meth:`NodeRunner.work` runs a
researcher's workspace query (SQL, cohort, counts: seconds on a large
warehouse) on threads of its own, so it takes neither a reader's nor the change
thread: its writes are inserts (a result, an output request, audit events), not
transitions. Long work (loads, quality reports, training) runs as a background
job (:mod:`socle.api.jobs`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from socle.config import Settings
from socle.node import Node

T = TypeVar("T")


class NodeRunner:
    def __init__(
        self, settings: Settings, *, readers: int = 8, queries: int = 2, job_workers: int = 2
    ) -> None:
        self._serial = ThreadPoolExecutor(max_workers=1, thread_name_prefix="socle-change")
        self._readers = ThreadPoolExecutor(max_workers=readers, thread_name_prefix="socle-read")
        self._queries = ThreadPoolExecutor(max_workers=queries, thread_name_prefix="socle-query")
        self.jobs = ThreadPoolExecutor(max_workers=job_workers, thread_name_prefix="socle-job")
        self.node: Node = self._serial.submit(Node.open, settings).result()

    async def call(self, fn: Callable[[Node], T]) -> T:
        """Run a read ``fn(node)`` on a worker thread, beside other reads."""
        return await asyncio.get_running_loop().run_in_executor(self._readers, fn, self.node)

    async def serial(self, fn: Callable[[Node], T]) -> T:
        """Run a state change ``fn(node)`` on the one change thread, after those before it."""
        return await asyncio.get_running_loop().run_in_executor(self._serial, fn, self.node)

    async def work(self, fn: Callable[[Node], T]) -> T:
        """Run a workspace query ``fn(node)`` on the query threads, beside reads and changes."""
        return await asyncio.get_running_loop().run_in_executor(self._queries, fn, self.node)

    def call_sync(self, fn: Callable[[Node], T]) -> T:
        return self._serial.submit(fn, self.node).result()

    def close(self) -> None:
        self.jobs.shutdown(wait=True, cancel_futures=True)
        self._readers.shutdown(wait=True)
        self._queries.shutdown(wait=True)
        self._serial.submit(self.node.close).result()
        self._serial.shutdown()
