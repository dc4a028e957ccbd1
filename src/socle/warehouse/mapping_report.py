"""How well the stored rows map: per table and source vocabulary, and the top unmapped codes.

Two shares are reported per table and vocabulary: rows whose source code the
loaded vocabulary knows (``*_source_concept_id`` ≠ 0) and rows carrying a
standard concept (``*_concept_id`` ≠ 0). Counts are aggregates of codes, never
of patients' values; outside the steward's own view (``for_steward=False``)
counts below the small-cell threshold are suppressed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import duckdb

from socle.warehouse.mapping import EVENT_COLUMNS

SMALL_CELL = 10


@dataclass(frozen=True)
class MappingShare:
    table: str
    vocabulary: str
    rows: int | None
    in_vocabulary: int | None
    standard: int | None


@dataclass
class MappingReport:
    shares: list[MappingShare] = field(default_factory=list)
    unmapped: list[tuple[str, str, int | None]] = field(default_factory=list)  # table, code, n
    suppressed_below: int | None = None
    counts: tuple[int, int, int] = (0, 0, 0)  # rows, in the vocabulary, with a standard concept

    def totals(self) -> dict[str, float]:
        """Shares over every coded event row (computed before any suppression)."""
        rows, known, standard = self.counts
        return {
            "share_in_vocabulary": known / rows if rows else 0.0,
            "share_standard": standard / rows if rows else 0.0,
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "shares": [asdict(s) for s in self.shares],
            "unmapped": [{"table": t, "source_value": c, "rows": n} for t, c, n in self.unmapped],
            "suppressed_below": self.suppressed_below,
            "totals": self.totals(),
        }


def _shown(n: int, for_steward: bool) -> int | None:
    return n if for_steward or n >= SMALL_CELL else None


def mapping_report(
    con: duckdb.DuckDBPyConnection, *, for_steward: bool = True, top: int = 20
) -> MappingReport:
    report = MappingReport(suppressed_below=None if for_steward else SMALL_CELL)
    unmapped: list[tuple[str, str, int]] = []
    total = [0, 0, 0]
    for table, cols in EVENT_COLUMNS.items():
        source, concept, source_concept = (
            cols["source_value"],
            cols["concept"],
            cols["source_concept"],
        )
        rows = con.execute(
            f"""
            SELECT split_part({source}, '|', 1) AS vocabulary, count(*),
                   count(*) FILTER (WHERE coalesce({source_concept}, 0) <> 0),
                   count(*) FILTER (WHERE coalesce({concept}, 0) <> 0)
            FROM main.{table} GROUP BY ALL ORDER BY ALL
            """
        ).fetchall()
        for vocabulary, n, known, standard in rows:
            total = [total[0] + n, total[1] + known, total[2] + standard]
            report.shares.append(
                MappingShare(
                    table,
                    str(vocabulary),
                    _shown(n, for_steward),
                    _shown(known, for_steward),
                    _shown(standard, for_steward),
                )
            )
        unmapped += con.execute(
            f"""
            SELECT '{table}', {source}, count(*) FROM main.{table}
            WHERE coalesce({concept}, 0) = 0 AND {source} IS NOT NULL
            GROUP BY ALL ORDER BY 3 DESC, 2 LIMIT {int(top)}
            """
        ).fetchall()
    report.counts = (total[0], total[1], total[2])
    unmapped.sort(key=lambda u: (-u[2], u[0], u[1]))
    report.unmapped = [
        (t, c, _shown(n, for_steward))
        for t, c, n in unmapped[:top]
        if for_steward or n >= SMALL_CELL
    ]
    return report
