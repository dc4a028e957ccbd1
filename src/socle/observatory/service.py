"""The observatory of one node: the register, live evidence, rankings, imports and exports.

:class:`Observatory` wires the parts on the governance store and offers the operations
that span them; the parts (``registry``, ``reviews``, ``live``, ``rankings``) are public
attributes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from socle.ai import ModelRegistry
from socle.audit import AuditLog
from socle.catalog import Catalog, Dataset, to_jsonld
from socle.governance import Governance
from socle.guarantee import HumanGuarantee, Monitoring
from socle.observatory import exchange
from socle.observatory.errors import ObservatoryError
from socle.observatory.fda import FdaImport, import_fda
from socle.observatory.live import LiveEvidence
from socle.observatory.model import DatabaseData
from socle.observatory.rankings import Rankings
from socle.observatory.registry import BatchResult, PublishedEntry, Registry
from socle.observatory.report import ReportInput, write_report
from socle.observatory.review import Reviews
from socle.observatory.scoring import Ranking
from socle.observatory.taxonomy import load_observatory_taxonomy
from socle.observatory.vigilance import Alert, alerts
from socle.roles import Role

FEED_TITLE = "Socle observatory of AI and digital health"


@dataclass(frozen=True)
class ImportResult:
    batch: BatchResult
    refused: tuple[tuple[int, str], ...]  # (line, reason) of CSV rows not imported


class Observatory:
    def __init__(
        self, engine: Engine, audit: AuditLog, catalog: Catalog, models: ModelRegistry,
        governance: Governance, guarantee: HumanGuarantee, *, publisher: str = "this Socle node",
        threshold: int = 10, rounding_base: int = 5, monitoring: Monitoring | None = None,
    ) -> None:  # fmt: skip
        self.catalog, self.audit = catalog, audit
        self.registry = Registry(engine, audit)
        self.reviews = Reviews(engine, audit, self.registry)
        self.live = LiveEvidence(engine, audit, self.registry, models, governance, guarantee,
                                 publisher, threshold, rounding_base, monitoring)  # fmt: skip
        self.rankings = Rankings(engine, audit, self.registry, self.live)

    # -- feeding the map ---------------------------------------------------------------------

    def import_fda(self, path: Path, *, actor: str, role: str) -> FdaImport:
        """Import the FDA list of AI-enabled devices (submitted; reviewed before publication)."""
        report = import_fda(path, self.registry, actor=actor, role=role)
        self.audit.record(
            actor=actor, role=role, action="observatory.import_fda", object=report.batch,
            details={"rows": report.rows, "created": report.created, "revised": report.revised,
                     "unchanged": report.unchanged, "unmapped": len(report.unmapped),
                     "rejected": len(report.rejected)},
        )  # fmt: skip
        return report

    def import_file(self, path: Path, *, actor: str, role: str) -> ImportResult:
        """Import entries from JSON or from CSV in the documented format (by file suffix)."""
        if not path.is_file():
            raise ObservatoryError(f"'{path}' is not a file")
        refused: list[tuple[int, str]] = []
        if path.suffix.lower() == ".json":
            items = exchange.parse_json(path.read_bytes())
        elif path.suffix.lower() == ".csv":
            items, refused = exchange.parse_csv(path.read_text(encoding="utf-8-sig"))
        else:
            raise ObservatoryError(f"'{path.name}': give a .json or .csv file")
        batch = self.registry.submit_batch(items, actor=actor, role=role, source="import",
                                           note=f"imported from {path.name}")  # fmt: skip
        return ImportResult(batch, tuple(refused))

    def sync_catalogue(self, *, actor: str, role: str = Role.DATA_STEWARD) -> BatchResult:
        """Submit this node's catalogue datasets as database entries (reviewed like any other)."""
        items = [(f"catalogue:{d.id}", _database(d)) for d in self.catalog.datasets()]
        return self.registry.submit_batch(items, actor=actor, role=role, source="catalogue")

    # -- reading the map -----------------------------------------------------------------------

    def map(
        self, *, kind: str | None = None, category: str | None = None,
        speciality: str | None = None, risk: str | None = None, evidence: str | None = None,
    ) -> list[PublishedEntry]:  # fmt: skip
        """Published entries matching every filter given.

        ``evidence`` is a study design (the entry's strongest study has it) or ``none``
        (no study recorded); ``speciality`` also matches a database's sector.
        """
        entries = self.registry.published_entries(kind=kind, category=category)
        levels = load_observatory_taxonomy().designs  # strongest first

        def keep(e: PublishedEntry) -> bool:
            d = e.data
            if speciality and speciality not in (getattr(d, "speciality", None),
                                                 getattr(d, "sector", None)):  # fmt: skip
                return False
            if risk and getattr(d, "ai_act_risk", None) != risk:
                return False
            if evidence:
                studies = getattr(d, "evidence", ())
                best = min((levels.index(s.design) for s in studies), default=None)
                return (best is None) if evidence == "none" else (
                    best is not None and levels[best] == evidence)  # fmt: skip
            return True

        return [e for e in entries if keep(e)]

    def export(self, fmt: str) -> bytes:
        entries = self.registry.published_entries()
        if fmt == "json":
            return exchange.export_json(entries, self.live.figures())
        if fmt == "csv":
            return exchange.export_csv(entries).encode()
        raise ObservatoryError(f"export format '{fmt}' unknown; use json or csv")

    def dcat(self) -> dict[str, Any]:
        """Published databases as DCAT JSON-LD (catalogue datasets published on the map)."""
        published = self.registry.published_entries(kind="database")
        linked = {e.data.catalogue_dataset for e in published if isinstance(e.data, DatabaseData)}
        datasets = [d for d in self.catalog.datasets() if d.id in linked]
        graph = to_jsonld(datasets, catalog_title="Observatory: health databases")
        return exchange.databases_dcat(published, graph)

    def feed(self) -> dict[str, Any]:
        return exchange.feed(self.registry.published_entries(), title=FEED_TITLE)

    def alerts(self, today: date | None = None) -> list[Alert]:
        method = self.rankings.method().method
        pairs = self.registry.published_pairs()
        live = {i: self.live.history(i) for i in self.live.figures(list(pairs))}
        return alerts(method, pairs, live, today or datetime.now(UTC).date())

    def top_all(self) -> list[Ranking]:
        return [self.rankings.top(c) for c in load_observatory_taxonomy().categories]

    def report(self, out_dir: Path) -> Path:
        """The public HTML report (published entries only)."""
        data = ReportInput(
            self.registry.published_entries(), self.live.figures(), self.alerts(),
            self.top_all(), self.rankings.method().method,
        )  # fmt: skip
        return write_report(data, out_dir)


def _database(d: Dataset) -> DatabaseData:
    persons = f"{d.population} persons" if d.population is not None else "few persons"
    period = f"{d.coverage_start or '?'} to {d.coverage_end or '?'}"
    coverage = "; ".join(x for x in (d.population_coverage, persons, period) if x)
    return DatabaseData(
        name=d.title, maker=d.publisher, description=d.description, coverage=coverage,
        temporal_start=d.coverage_start, temporal_end=d.coverage_end,
        quality_summary=d.quality or {}, access_rights=d.access_rights,  # type: ignore[arg-type]
        access_conditions="Through this node's access procedure: a reviewed request, a scoped "
        "grant, consent filtering and output checking." + (f" Legal basis: {d.legal_basis}."
                                                           if d.legal_basis else ""),
        catalogue_dataset=d.id,
    )  # fmt: skip
