"""Deployment settings: where the stores and secrets of one Socle node live.

A node keeps everything under one *home* directory::

    <home>/warehouse.duckdb     clinical warehouse (OMOP CDM, DuckDB)
    <home>/governance.sqlite    governance state (SQLAlchemy; PostgreSQL in production)
    <home>/secrets/             pseudonym, vault, date-shift and audit keys (or $SOCLE_KEYS_DIR, elsewhere)
    <home>/vault.sqlite         encrypted identity vault
    <home>/audit-anchors.jsonl  heads of the audit log, outside the store (or $SOCLE_AUDIT_ANCHOR)
    <home>/reports/             quality, release and model reports

A node creates its files 0600 and its folders 0700 (:func:`restrict_files`).
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Settings read from ``SOCLE_*`` environment variables, with embedded defaults."""

    model_config = SettingsConfigDict(env_prefix="SOCLE_", frozen=True)

    home: Path = Field(default=Path("socle-home"))
    governance_url: str | None = None
    # Keys on a separate volume (SOCLE_KEYS_DIR) and the provider that serves them.
    keys_dir: Path | None = None
    key_provider: str = "file"
    # An append-only file outside the governance store where the audit head is anchored.
    audit_anchor: Path | None = None
    # SQLite governance store only: "full" syncs every commit to disk (default, durable);
    # "normal" (WAL) cannot corrupt the store but may lose the last commits on power loss.
    sqlite_synchronous: Literal["full", "normal"] = "full"
    governance_pool_size: int = Field(default=8, ge=1, le=200)  # connections kept open
    # Several processes may read the warehouse at once only if none writes (serve --workers).
    warehouse_read_only: bool = False
    # DuckDB threads for warehouse queries (default: every core). A server may leave a core
    # to interactive requests so that a long workspace query does not take the whole machine.
    warehouse_threads: int | None = Field(default=None, ge=1, le=256)
    # The node's published release policy (TOML): every disclosure threshold (small counts,
    # rounding, dominance, degrees of freedom, checkers) comes from it; the catalogue shows it.
    release_policy: Path | None = None
    # Model training is refused below these (stated in every model notice).
    min_training_persons: int = 10
    min_training_events: int = 10
    # Each person's dates move back by a keyed 1..N days (set once, before the first load).
    date_shift_max_days: int = Field(default=180, ge=1, le=3650)
    # One input file may expand to at most this many MiB (larger ones are quarantined, unread).
    ingest_max_file_mb: int = Field(default=4096, ge=1)
    # The largest part of a file held in memory at once (a bigger Bundle is streamed).
    ingest_memory_mb: int = Field(default=256, ge=1)
    # A clinical note longer than this (characters) is quarantined, not de-identified.
    notes_max_chars: int = Field(default=100_000, ge=1)
    query_timeout_seconds: float = 60.0  # per workspace query
    job_cpu_seconds: int = 600  # per sandboxed job
    job_memory_mb: int = 4096
    job_wall_seconds: int = 1800
    job_processes: int = 64
    # The engine of purposeful reads: the DuckDB file (embedded default) or Apache Spark over
    # the Parquet CDM (`socle warehouse export-parquet`), for a node past one machine.
    engine: Literal["duckdb", "spark"] = "duckdb"
    parquet_dir: Path | None = None  # the Parquet CDM (default <home>/cdm-parquet)
    spark_master: str = "local[2]"  # a cluster's URL in production (spark://, yarn, k8s://)

    @property
    def warehouse_path(self) -> Path:
        return self.home / "warehouse.duckdb"

    @property
    def parquet_path(self) -> Path:
        return self.parquet_dir or self.home / "cdm-parquet"

    @property
    def secrets_dir(self) -> Path:
        return self.keys_dir or self.home / "secrets"

    @property
    def audit_anchor_path(self) -> Path:
        return self.audit_anchor or self.home / "audit-anchors.jsonl"

    @property
    def vault_path(self) -> Path:
        return self.home / "vault.sqlite"

    @property
    def reports_dir(self) -> Path:
        return self.home / "reports"

    @property
    def workspace_dir(self) -> Path:
        """Named results and jobs (code, extract, outputs) per grant; rows stay here."""
        return self.home / "workspace"

    @property
    def models_dir(self) -> Path:
        return self.home / "models"

    @property
    def governance_db_url(self) -> str:
        return self.governance_url or f"sqlite:///{(self.home / 'governance.sqlite').resolve()}"

    def ensure_dirs(self) -> None:
        restrict_files()
        for d in (self.home, self.reports_dir, self.models_dir):
            d.mkdir(parents=True, exist_ok=True, mode=0o700)
        tighten(self.home)


def restrict_files() -> None:
    """Every file this process creates from now on is 0600, every folder 0700."""
    os.umask(0o077)


def tighten(home: Path) -> None:
    """Take group and other access off a node's home and its entries (nodes made before).

    One level is enough: what lies deeper is behind a 0700 folder.
    """
    for path in (home, *home.iterdir()):
        if path.is_symlink():
            continue
        mode = stat.S_IMODE(path.lstat().st_mode)
        if mode & 0o077:
            try:
                os.chmod(path, mode & 0o700)
            except OSError as exc:  # not ours to change: say so, do not stop the node
                logging.getLogger("socle").warning(
                    "could not restrict %s to its owner (%s)", path, exc.strerror
                )
