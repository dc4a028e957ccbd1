"""The data steward's operations on the warehouse, each audited with counts only.

Loads (FHIR, Bulk Data partitions, an existing OMOP CDM), the vocabulary, the
Parquet publication and the rotation of the pseudonym key: each runs on the
node's warehouse, keys and vault, then appends one audit event with the real
actor and the steward's role. :class:`socle.node.Node` builds one and forwards
to it; nothing else here knows the node.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from socle.audit import AuditLog
from socle.ingest.bulk import BulkSummary, ingest_partitioned
from socle.ingest.errors import KeyRotationError
from socle.ingest.loader import ingest
from socle.ingest.note_intake import NoteIntake
from socle.ingest.reader import ReadLimits
from socle.ingest.rotation import RotationSummary, rotate_pseudonym_key
from socle.ingest.summary import LoadSummary
from socle.privacy import DateShift, IdentityVault, Pseudonymizer
from socle.roles import Role
from socle.warehouse import DEFAULT_BUCKETS, ParquetCDM, Warehouse


@dataclass(frozen=True)
class StewardSettings:
    """What the steward's operations need of the node's settings."""

    key_path: Path  # the pseudonym key file, rewritten by a rotation
    parquet_path: Path  # the Spark engine's Parquet CDM: the default publication folder
    limits: ReadLimits
    notes_max_chars: int


class WarehouseSteward:
    """Load, publish and re-key the warehouse; audit each operation."""

    def __init__(
        self,
        warehouse: Warehouse,
        pseudo: Pseudonymizer,
        vault: IdentityVault,
        dates: DateShift,
        audit: AuditLog,
        settings: StewardSettings,
    ) -> None:
        self.warehouse, self.pseudo, self.vault, self.dates = warehouse, pseudo, vault, dates
        self.audit, self.settings = audit, settings

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
            limits=self.settings.limits,
            notes=NoteIntake(
                self.pseudo, self.vault, self.dates, max_chars=self.settings.notes_max_chars,
                on_note=on_note,
            ),
        )  # fmt: skip
        self._audit(
            actor, "warehouse.load", summary.load_id,
            {"files": summary.files, "persons": summary.persons, **summary.totals()},
        )  # fmt: skip
        return summary

    def load_vocabulary(
        self, folder: Path, *, actor: str, on_table: Callable[[str, int], None] | None = None
    ) -> dict[str, int]:
        """Load the vocabulary tables, re-map every stored row; audit the counts."""
        counts = self.warehouse.load_vocabulary(folder, on_table)
        self._audit(actor, "warehouse.vocabulary", "vocabulary", dict(counts))
        return counts

    def export_parquet(
        self, folder: Path | None = None, *, actor: str, buckets: int = DEFAULT_BUCKETS
    ) -> ParquetCDM:
        """Publish the warehouse as an OMOP CDM in Parquet (default: the Spark engine's folder,
        ``SOCLE_PARQUET_DIR``); audit where and how many rows."""
        cdm = self.warehouse.export_parquet(folder or self.settings.parquet_path, buckets=buckets)
        self._audit(
            actor, "warehouse.export_parquet", str(cdm.folder),
            {"buckets": cdm.buckets, "rows": sum(cdm.rows.values())},
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
            limits=self.settings.limits,
        )  # fmt: skip
        self._audit(
            actor, "warehouse.load_partitioned", str(folder),
            {"partitions": len(summary.partitions), "persons": summary.persons,
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
        self._audit(
            actor, "warehouse.attach", "cdm",
            {"tables": len(counts), "rows": sum(counts.values()),
             "persons": counts.get("person", 0)},
        )  # fmt: skip
        return counts

    def rotate_pseudonym_key(
        self, sources: list[Path], *, actor: str, persons_with_choices: int
    ) -> RotationSummary:
        """Move every pseudonym (warehouse ids, person tokens, vault) to a fresh key; refused
        while the consent registry holds choices keyed by the old person ids."""
        if persons_with_choices:
            raise KeyRotationError(
                f"the consent registry holds choices of {persons_with_choices} persons keyed by "
                "person_id; it has no re-key operation yet, so rotating would detach them from "
                "their patients. See docs/pseudonyms.md."
            )
        summary, self.pseudo = rotate_pseudonym_key(
            self.settings.key_path, sources, self.warehouse, self.vault, self.pseudo
        )
        self._audit(
            actor, "privacy.rotate_key", "pseudonym.key",
            {"files": summary.files, "ids": summary.ids, "persons": summary.persons},
        )  # fmt: skip
        return summary

    def person_id(self, source_patient_id: str) -> int:
        """The pseudonymous person id of a patient known to the vault (by source id)."""
        self.vault.pseudonym_for_source(source_patient_id)
        return self.pseudo.id("Patient", source_patient_id)

    def _audit(self, actor: str, action: str, obj: str, details: dict[str, object]) -> None:
        self.audit.record(
            actor=actor, role=Role.DATA_STEWARD, action=action, object=obj, details=details
        )
