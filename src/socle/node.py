"""One Socle node: the stores of a deployment and the services wired on them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from socle.ai import ModelRegistry, TrainingRules
from socle.audit import AuditLog, Seal
from socle.catalog import Catalog
from socle.config import Settings
from socle.consent import ConsentRegistry, Taxonomy, load_taxonomy
from socle.governance import Governance
from socle.guarantee import HumanGuarantee
from socle.ingest import (
    KeyRotationError,
    LoadSummary,
    ReadLimits,
    RotationSummary,
    ingest,
    rotate_pseudonym_key,
)
from socle.observatory import Observatory
from socle.privacy import DateShift, IdentityVault, Pseudonymizer, key_provider
from socle.quality import QualityReport, build_report
from socle.store import open_engine
from socle.warehouse import Warehouse
from socle.workspace import Workspace


@dataclass
class Node:
    settings: Settings
    engine: Engine
    audit: AuditLog
    warehouse: Warehouse
    pseudo: Pseudonymizer
    vault: IdentityVault
    taxonomy: Taxonomy
    catalog: Catalog
    consent: ConsentRegistry
    governance: Governance
    workspace: Workspace
    models: ModelRegistry
    guarantee: HumanGuarantee
    dates: DateShift
    observatory: Observatory

    @classmethod
    def open(cls, settings: Settings) -> Node:
        settings.ensure_dirs()
        engine = open_engine(settings.governance_db_url)
        keys = key_provider(settings.key_provider, settings.secrets_dir)
        audit = AuditLog(engine, Seal(keys.key("audit"), settings.audit_anchor_path))
        warehouse = Warehouse(settings.warehouse_path)
        pseudo = Pseudonymizer(keys.key("pseudonym"))
        vault = IdentityVault(settings.vault_path, keys.key("vault"), pseudo)
        dates = DateShift(keys.key("date_shift"), settings.date_shift_max_days)
        taxonomy = load_taxonomy()
        catalog = Catalog(engine, audit, settings.small_cell_threshold, settings.rounding_base)
        consent = ConsentRegistry(engine, audit, taxonomy)
        governance = Governance(engine, audit, taxonomy, catalog)
        workspace = Workspace(
            warehouse, governance, consent, audit, settings.reports_dir / "releases",
            threshold=settings.small_cell_threshold, rounding_base=settings.rounding_base,
        )  # fmt: skip
        models = ModelRegistry(
            engine, audit, settings.models_dir,
            TrainingRules(
                settings.small_cell_threshold, settings.rounding_base,
                settings.min_training_persons, settings.min_training_events,
            ),
        )  # fmt: skip
        guarantee = HumanGuarantee(engine, audit, models)
        observatory = Observatory(
            engine, audit, catalog, models, governance, guarantee,
            threshold=settings.small_cell_threshold, rounding_base=settings.rounding_base,
        )  # fmt: skip
        return cls(
            settings, engine, audit, warehouse, pseudo, vault, taxonomy, catalog, consent,
            governance, workspace, models, guarantee, dates, observatory,
        )  # fmt: skip

    def load(
        self, path: Path, *, actor: str, on_file: Callable[[Path, int], None] | None = None
    ) -> LoadSummary:
        """Ingest FHIR input atomically and audit the load (counts only)."""
        summary = ingest(
            path, self.warehouse, self.pseudo, self.vault, dates=self.dates, on_file=on_file,
            limits=ReadLimits.from_mebibytes(
                self.settings.ingest_max_file_mb, self.settings.ingest_memory_mb
            ),
        )  # fmt: skip
        self.audit.record(
            actor=actor, role="data_steward", action="warehouse.load", object=summary.load_id,
            details={"files": summary.files, "persons": summary.persons, **summary.totals()},
        )  # fmt: skip
        return summary

    def load_vocabulary(self, folder: Path, *, actor: str) -> dict[str, int]:
        """Load an Athena vocabulary export and map stored source codes; audit the counts."""
        counts = self.warehouse.load_vocabulary(folder)
        self.audit.record(
            actor=actor, role="data_steward", action="warehouse.vocabulary",
            object="vocabulary", details=counts,
        )  # fmt: skip
        return counts

    def rotate_pseudonym_key(self, sources: list[Path], *, actor: str) -> RotationSummary:
        """Move every pseudonym (warehouse ids, person tokens, vault) to a fresh key."""
        held = self.consent.persons_with_choices()
        if held:
            raise KeyRotationError(
                f"the consent registry holds choices of {held} persons keyed by person_id; "
                "it has no re-key operation yet, so rotating would detach them from their "
                "patients. See docs/pseudonyms.md."
            )
        summary, self.pseudo = rotate_pseudonym_key(
            self.settings.secrets_dir / "pseudonym.key", sources, self.warehouse, self.vault,
            self.pseudo,
        )  # fmt: skip
        self.audit.record(
            actor=actor, role="data_steward", action="privacy.rotate_key", object="pseudonym.key",
            details={"files": summary.files, "ids": summary.ids, "persons": summary.persons},
        )  # fmt: skip
        return summary

    def quality_report(self, *, actor: str) -> QualityReport:
        report = build_report(self.warehouse, self.reports)
        self.audit.record(
            actor=actor, role="data_steward", action="quality.report", object=report.html_path.name,
            outcome="ok" if report.passed else "issues",
            details={"implausible": sum(report.implausible.values())},
        )  # fmt: skip
        return report

    def person_id(self, source_patient_id: str) -> int:
        """The pseudonymous person id of a patient known to the vault (by source id)."""
        self.vault.pseudonym_for_source(source_patient_id)
        return self.pseudo.id("Patient", source_patient_id)

    def close(self) -> None:
        self.vault.close()
        self.warehouse.close()
        self.engine.dispose()

    @property
    def reports(self) -> Path:
        return self.settings.reports_dir
