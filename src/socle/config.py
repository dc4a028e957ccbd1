"""Deployment settings: where the stores and secrets of one Socle node live.

A node keeps everything under one *home* directory::

    <home>/warehouse.duckdb     clinical warehouse (OMOP CDM, DuckDB)
    <home>/governance.sqlite    governance state (SQLAlchemy; PostgreSQL in production)
    <home>/secrets/             pseudonym, vault and date-shift keys, mode 0600, outside the warehouse
    <home>/vault.sqlite         encrypted identity vault
    <home>/reports/             quality, release and model reports
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Settings read from ``SOCLE_*`` environment variables, with embedded defaults."""

    model_config = SettingsConfigDict(env_prefix="SOCLE_", frozen=True)

    home: Path = Field(default=Path("socle-home"))
    governance_url: str | None = None
    small_cell_threshold: int = 10
    rounding_base: int = 5
    # Each person's dates move back by a keyed 1..N days (set once, before the first load).
    date_shift_max_days: int = Field(default=180, ge=1, le=3650)
    # One input file may expand to at most this many MiB (larger ones are quarantined, unread).
    ingest_max_file_mb: int = Field(default=4096, ge=1)
    # The largest part of a file held in memory at once (a bigger Bundle is streamed).
    ingest_memory_mb: int = Field(default=256, ge=1)

    @property
    def warehouse_path(self) -> Path:
        return self.home / "warehouse.duckdb"

    @property
    def secrets_dir(self) -> Path:
        return self.home / "secrets"

    @property
    def vault_path(self) -> Path:
        return self.home / "vault.sqlite"

    @property
    def reports_dir(self) -> Path:
        return self.home / "reports"

    @property
    def models_dir(self) -> Path:
        return self.home / "models"

    @property
    def governance_db_url(self) -> str:
        return self.governance_url or f"sqlite:///{(self.home / 'governance.sqlite').resolve()}"

    def ensure_dirs(self) -> None:
        for d in (self.home, self.reports_dir, self.models_dir):
            d.mkdir(parents=True, exist_ok=True)
