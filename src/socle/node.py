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
    LoadSummary,
    ReadLimits,
    RotationSummary,
    StewardSettings,
    WarehouseSteward,
)
from socle.observatory import Observatory
from socle.privacy import DateShift, IdentityVault, Pseudonymizer, VaultError, key_provider
from socle.quality import Quality, QualityReport
from socle.release import ReleaseDesk, load_policy
from socle.store import open_engine
from socle.warehouse import DEFAULT_BUCKETS, AchillesRun, ParquetCDM, Warehouse, spark_engine
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
    steward: WarehouseSteward
    quality: Quality
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
                threads=settings.warehouse_threads,
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
            steward = WarehouseSteward(
                warehouse, pseudo, vault, dates, audit,
                StewardSettings(
                    key_path=settings.secrets_dir / "pseudonym.key",
                    parquet_path=settings.parquet_path,
                    limits=ReadLimits.from_mebibytes(
                        settings.ingest_max_file_mb, settings.ingest_memory_mb
                    ),
                    notes_max_chars=settings.notes_max_chars,
                ),
            )  # fmt: skip
            quality = Quality(warehouse, audit, settings.reports_dir, policy.safe_threshold)
            node = cls(
                settings, engine, audit, warehouse, steward, quality, vault, taxonomy, catalog,
                consent, governance, desk, workspace, models, guarantee, dates, observatory,
                monitoring, college,
            )  # fmt: skip
            node.consents = ConsentService(
                consent, node.person_id, governance, workspace.population_includes
            )
            node.outcomes = OutcomeLinker(guarantee, models, warehouse, consent, node.date_offset)
            opened.pop_all()  # the node owns them now: Node.close
        return node

    # The steward's operations live in their contexts; these forward to them (many callers).

    def load(
        self,
        path: Path,
        *,
        actor: str,
        on_file: Callable[[Path, int], None] | None = None,
        on_note: Callable[[int, int], None] | None = None,
    ) -> LoadSummary:
        """Ingest FHIR input atomically and audit the load (counts only); the load may answer
        pending outcomes of predictions in care."""
        summary = self.steward.load(path, actor=actor, on_file=on_file, on_note=on_note)
        self.outcomes.link(trigger=summary.load_id)
        return summary

    def load_vocabulary(
        self, folder: Path, *, actor: str, on_table: Callable[[str, int], None] | None = None
    ) -> dict[str, int]:
        return self.steward.load_vocabulary(folder, actor=actor, on_table=on_table)

    def export_parquet(
        self, folder: Path | None = None, *, actor: str, buckets: int = DEFAULT_BUCKETS
    ) -> ParquetCDM:
        return self.steward.export_parquet(folder, actor=actor, buckets=buckets)

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
        return self.steward.load_partitioned(
            source, actor=actor, target=target, partitions=partitions, buckets=buckets,
            vocabulary=vocabulary, on_partition=on_partition,
        )  # fmt: skip

    def attach_cdm(self, source: Path | str, *, actor: str, schema: str = "main") -> dict[str, int]:
        return self.steward.attach_cdm(source, actor=actor, schema=schema)

    def rotate_pseudonym_key(self, sources: list[Path], *, actor: str) -> RotationSummary:
        return self.steward.rotate_pseudonym_key(
            sources, actor=actor, persons_with_choices=self.consent.persons_with_choices()
        )

    def achilles(self, *, actor: str) -> AchillesRun:
        return self.quality.achilles(actor=actor)

    def quality_report(self, *, actor: str) -> QualityReport:
        return self.quality.report(actor=actor)

    def person_id(self, source_patient_id: str) -> int:
        """The pseudonymous person id of a patient known to the vault (by source id)."""
        return self.steward.person_id(source_patient_id)

    @property
    def pseudo(self) -> Pseudonymizer:
        """The current pseudonym keys (a rotation replaces them)."""
        return self.steward.pseudo

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
