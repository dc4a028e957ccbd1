"""One Socle node: the stores of a deployment and the services wired on them."""

from __future__ import annotations

import sys
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, MetaData

from socle import (
    ai,
    api,
    audit,
    catalog,
    consent,
    governance,
    guarantee,
    migrations,
    observatory,
    release,
    workspace,
)
from socle.ai import ModelRegistry, TrainingRules
from socle.audit import AuditLog, Seal
from socle.catalog import Catalog
from socle.config import Settings
from socle.consent import ConsentRegistry, ConsentService, Taxonomy, load_taxonomy
from socle.governance import Governance
from socle.guarantee import College, HumanGuarantee, Monitoring, OutcomeLinker
from socle.ingest import (
    BulkSummary,
    KeyRotationError,
    LoadSummary,
    NoteIntake,
    ReadLimits,
    RotationSummary,
    ingest,
    ingest_partitioned,
    rotate_pseudonym_key,
)
from socle.observatory import Observatory
from socle.privacy import DateShift, IdentityVault, Pseudonymizer, VaultError, key_provider
from socle.quality import QualityReport, build_report
from socle.release import ReleaseDesk, load_policy
from socle.roles import Role
from socle.store import open_engine
from socle.warehouse import (
    DEFAULT_BUCKETS,
    AchillesRun,
    ParquetCDM,
    Warehouse,
    spark_engine,
)
from socle.workspace import Limits, Workspace


def store_tables() -> tuple[MetaData, ...]:
    """Every table of the governance store, by context: the one place that composes it.

    A function, not a constant: the federation builds on the node (it imports
    this module), so its tables are imported when the store is opened.
    """
    from socle import federation

    return (
        audit.TABLES, catalog.TABLES, consent.TABLES, governance.TABLES, release.TABLES,
        workspace.TABLES, ai.TABLES, guarantee.TABLES, observatory.TABLES, api.TABLES,
        federation.TABLES,
    )  # fmt: skip


def open_store(settings: Settings, *, report: Callable[[str], None] | None = None) -> Engine:
    """The store's engine, its schema brought to the current revision first."""
    engine = open_engine(
        settings.governance_db_url, sqlite_synchronous=settings.sqlite_synchronous,
        pool_size=settings.governance_pool_size, max_overflow=settings.governance_pool_size,
    )  # fmt: skip
    try:
        where = engine.url.render_as_string(hide_password=True)
        migrations.upgrade(
            engine, store_tables(), report=lambda done: (report or _stderr)(done.message(where))
        )
    except BaseException:
        engine.dispose()
        raise
    return engine


def _stderr(message: str) -> None:
    print(message, file=sys.stderr)


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
    desk: ReleaseDesk
    workspace: Workspace
    models: ModelRegistry
    guarantee: HumanGuarantee
    dates: DateShift
    observatory: Observatory
    monitoring: Monitoring
    college: College
    consents: ConsentService = field(init=False)  # the steward's and patients' operations
    outcomes: OutcomeLinker = field(init=False)  # predictions' outcomes from later loads

    @classmethod
    def open(cls, settings: Settings) -> Node:
        """Build every service once; if a step fails, close what the earlier steps opened."""
        settings.ensure_dirs()
        with ExitStack() as opened:
            engine = open_store(settings)
            opened.callback(engine.dispose)
            keys = key_provider(settings.key_provider, settings.secrets_dir)
            audit = AuditLog(engine, Seal(keys.key("audit"), settings.audit_anchor_path))
            warehouse = Warehouse(
                settings.warehouse_path, read_only=settings.warehouse_read_only,
                engine=(lambda: spark_engine(settings.parquet_path, settings.spark_master))
                if settings.engine == "spark" else None,
            )  # fmt: skip
            opened.callback(warehouse.close)
            pseudo = Pseudonymizer(keys.key("pseudonym"))
            vault = IdentityVault(settings.vault_path, keys.key("vault"), pseudo)
            opened.callback(vault.close)
            dates = DateShift(keys.key("date_shift"), settings.date_shift_max_days)
            taxonomy = load_taxonomy()
            # One published policy file sets every disclosure threshold of the node.
            policy = load_policy(settings.release_policy)
            threshold, rounding_base = policy.safe_threshold, policy.safe_round_base
            catalog = Catalog(engine, audit, threshold, rounding_base, policy.as_dict())
            consent = ConsentRegistry(engine, audit, taxonomy)
            governance = Governance(engine, audit, taxonomy, catalog)
            desk = ReleaseDesk(
                engine, audit, governance, policy, settings.reports_dir / "releases",
            )  # fmt: skip
            workspace = Workspace(
                warehouse, governance, consent, audit, desk,
                threshold=threshold, rounding_base=rounding_base,
                query_timeout=settings.query_timeout_seconds, workdir=settings.workspace_dir,
                job_limits=Limits(
                    cpu_seconds=settings.job_cpu_seconds, memory_mb=settings.job_memory_mb,
                    wall_seconds=settings.job_wall_seconds, processes=settings.job_processes,
                ),
            )  # fmt: skip
            models = ModelRegistry(
                engine, audit, settings.models_dir,
                TrainingRules(
                    threshold, rounding_base, settings.min_training_persons,
                    settings.min_training_events,
                ),
                policy, governance,
            )  # fmt: skip
            guarantee = HumanGuarantee(engine, audit, models)
            monitoring = Monitoring(engine, audit, models)
            college = College(engine, audit, models, guarantee, monitoring)
            observatory = Observatory(
                engine, audit, catalog, models, governance, guarantee,
                threshold=threshold, rounding_base=rounding_base, monitoring=monitoring,
            )  # fmt: skip
            node = cls(
                settings, engine, audit, warehouse, pseudo, vault, taxonomy, catalog, consent,
                governance, desk, workspace, models, guarantee, dates, observatory, monitoring,
                college,
            )  # fmt: skip
            node.consents = ConsentService(
                consent, node.person_id, governance, workspace.population_includes
            )
            node.outcomes = OutcomeLinker(guarantee, models, warehouse, consent, node.date_offset)
            opened.pop_all()  # the node owns them now: Node.close
        return node

    def load(
        self,
        path: Path,
        *,
        actor: str,
        on_file: Callable[[Path, int], None] | None = None,
        on_note: Callable[[int, int], None] | None = None,
    ) -> LoadSummary:
        """Ingest FHIR input atomically and audit the load (counts only)."""
        summary = ingest(
            path, self.warehouse, self.pseudo, self.vault, dates=self.dates, on_file=on_file,
            limits=ReadLimits.from_mebibytes(
                self.settings.ingest_max_file_mb, self.settings.ingest_memory_mb
            ),
            notes=NoteIntake(
                self.pseudo, self.vault, self.dates,
                max_chars=self.settings.notes_max_chars, on_note=on_note,
            ),
        )  # fmt: skip
        self.audit.record(
            actor=actor, role=Role.DATA_STEWARD, action="warehouse.load", object=summary.load_id,
            details={"files": summary.files, "persons": summary.persons, **summary.totals()},
        )  # fmt: skip
        self.outcomes.link(trigger=summary.load_id)  # the load may answer pending outcomes
        return summary

    def load_vocabulary(
        self, folder: Path, *, actor: str, on_table: Callable[[str, int], None] | None = None
    ) -> dict[str, int]:
        """Load the vocabulary tables, re-map every stored row; audit the counts."""
        counts = self.warehouse.load_vocabulary(folder, on_table)
        self.audit.record(
            actor=actor, role=Role.DATA_STEWARD, action="warehouse.vocabulary",
            object="vocabulary", details=counts,
        )  # fmt: skip
        return counts

    def export_parquet(
        self, folder: Path | None = None, *, actor: str, buckets: int = DEFAULT_BUCKETS
    ) -> ParquetCDM:
        """Publish the warehouse as an OMOP CDM in Parquet (default: the Spark engine's folder,
        ``SOCLE_PARQUET_DIR``); audit where and how many rows."""
        cdm = self.warehouse.export_parquet(folder or self.settings.parquet_path, buckets=buckets)
        self.audit.record(
            actor=actor, role="data_steward", action="warehouse.export_parquet",
            object=str(cdm.folder),
            details={"buckets": cdm.buckets, "rows": sum(cdm.rows.values())},
        )  # fmt: skip
        return cdm

    def load_partitioned(
        self,
        source: Path,
        *,
        actor: str,
        target: Path | None = None,
        partitions: int = 4,
        buckets: int = DEFAULT_BUCKETS,
        vocabulary: Path | None = None,
        on_partition: Callable[[int, LoadSummary], None] | None = None,
    ) -> BulkSummary:
        """Load FHIR Bulk Data partition by partition straight into the Parquet CDM (default: the
        Spark engine's folder), with this node's keys and vault; audit the counts."""
        folder = target or self.settings.parquet_path
        summary = ingest_partitioned(
            source, folder, self.pseudo, self.vault, dates=self.dates,
            work=folder.with_name(f".{folder.name}.work"), partitions=partitions,
            buckets=buckets, vocabulary=vocabulary, on_partition=on_partition,
            limits=ReadLimits.from_mebibytes(
                self.settings.ingest_max_file_mb, self.settings.ingest_memory_mb
            ),
        )  # fmt: skip
        self.audit.record(
            actor=actor, role="data_steward", action="warehouse.load_partitioned",
            object=str(folder),
            details={"partitions": len(summary.partitions), "persons": summary.persons,
                     **summary.totals()},
        )  # fmt: skip
        return summary

    def attach_cdm(self, source: Path | str, *, actor: str, schema: str = "main") -> dict[str, int]:
        """Bring an existing OMOP CDM under governance: persons pseudonymised, ids to the vault."""

        def person_keys(people: list[tuple[int, str | None]]) -> list[tuple[int, int, str, int]]:
            keys, identities = [], []
            for person_id, source_value in people:
                source_id = source_value or f"cdm-person-{person_id}"
                token = self.pseudo.token("Patient", source_id)
                new_id = self.pseudo.id("Patient", source_id)
                keys.append((person_id, new_id, token, self.dates.days(source_id)))
                identities.append((token, source_id, {"source_id": source_id}))
            self.vault.put_many(identities)
            return keys

        counts = self.warehouse.attach_cdm(source, person_keys, schema)
        self.audit.record(
            actor=actor, role=Role.DATA_STEWARD, action="warehouse.attach", object="cdm",
            details={"tables": len(counts), "rows": sum(counts.values()),
                     "persons": counts.get("person", 0)},
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
            actor=actor, role=Role.DATA_STEWARD, action="privacy.rotate_key", object="pseudonym.key",
            details={"files": summary.files, "ids": summary.ids, "persons": summary.persons},
        )  # fmt: skip
        return summary

    def achilles(self, *, actor: str) -> AchillesRun:
        """Run OHDSI Achilles on the warehouse; audit how many analyses ran and failed."""
        run = self.warehouse.achilles(small_cell=self.desk.policy.safe_threshold)
        self.audit.record(
            actor=actor, role=Role.DATA_STEWARD, action="quality.achilles", object="results",
            outcome="ok" if not run.failed else "issues",
            details={"analyses": run.analyses, "failed": len(run.failed)},
        )  # fmt: skip
        return run

    def quality_report(self, *, actor: str) -> QualityReport:
        report = build_report(self.warehouse, self.reports)
        self.audit.record(
            actor=actor, role=Role.DATA_STEWARD, action="quality.report", object=report.html_path.name,
            outcome="ok" if report.passed else "issues",
            details={"implausible": sum(report.implausible.values())},
        )  # fmt: skip
        return report

    def person_id(self, source_patient_id: str) -> int:
        """The pseudonymous person id of a patient known to the vault (by source id)."""
        self.vault.pseudonym_for_source(source_patient_id)
        return self.pseudo.id("Patient", source_patient_id)

    def date_offset(self, token: str) -> int | None:
        """Days the warehouse moved back the dates of the person with this pseudonym token
        (``None`` if the vault does not know it); read in process, never shown."""
        try:
            source_id = str(self.vault.get(token)["source_id"])
        except (VaultError, KeyError):
            return None
        return self.dates.days(source_id)

    def close(self) -> None:
        self.vault.close()
        self.warehouse.close()
        self.engine.dispose()

    @property
    def reports(self) -> Path:
        return self.settings.reports_dir
