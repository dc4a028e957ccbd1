"""Rows waiting to be staged, with the ledger of the resources they come from."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from socle.ingest.mappers import Mapped
from socle.privacy import IdentityVault
from socle.warehouse import BatchWriter


class Batch:
    """Rows waiting to be written, flushed when ``limit`` rows are pending.

    Each resource added also gets a ``load_ledger`` row (type, keyed id,
    person, file token, position), staged in the same order as its rows, so
    the end of the load can take back resources of unknown patients and
    duplicates (see :mod:`socle.warehouse.ledger`).
    """

    def __init__(self, writer: BatchWriter, vault: IdentityVault, limit: int) -> None:
        self.writer, self.vault, self.limit = writer, vault, limit
        self.rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.ledger: list[dict[str, Any]] = []
        self.counts: Counter[str] = Counter()
        self.identities: list[tuple[str, str, dict[str, Any]]] = []
        self.pending = 0

    def add(self, mapped: Mapped, resource_type: str, key: int, file: str, position: int) -> None:
        rows = self.rows
        for table, row in mapped.rows:
            rows[table].append(row)
        if mapped.identity:
            self.identities.append(mapped.identity)
        if mapped.rows and resource_type != "Patient":
            person_id = mapped.rows[0][1].get("person_id")
            self.ledger.append(
                {
                    "resource_type": resource_type,
                    "resource_key": key,
                    "person_id": person_id,
                    "file": file,
                    "position": position,
                }
            )
        self.pending += len(mapped.rows)
        if self.pending >= self.limit:
            self.flush()

    def flush(self) -> None:
        self.vault.put_many(self.identities)
        for table, rows in self.rows.items():
            self.counts[table] += self.writer.write(table, rows)
        self.writer.write("load_ledger", self.ledger)
        self.rows.clear()
        self.ledger.clear()
        self.identities.clear()
        self.pending = 0
