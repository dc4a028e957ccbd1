"""Deployment settings: where the stores and secrets of one Socle node live.

A node keeps everything under one *home* directory::

    <home>/warehouse.duckdb     clinical warehouse (OMOP CDM, DuckDB)
    <home>/governance.sqlite    governance state (SQLAlchemy; PostgreSQL in production)
    <home>/secrets/             pseudonym key and vault key, mode 0600, outside the warehouse
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
    query_timeout_seconds: float = 60.0  # per workspace query
    job_cpu_seconds: int = 600  # per sandboxed job
    job_memory_mb: int = 4096
    job_wall_seconds: int = 1800
    job_processes: int = 64

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
        for d in (self.home, self.reports_dir, self.models_dir):
            d.mkdir(parents=True, exist_ok=True)
