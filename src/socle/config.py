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
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Settings read from ``SOCLE_*`` environment variables, with embedded defaults."""

    model_config = SettingsConfigDict(env_prefix="SOCLE_", frozen=True)

    home: Path = Field(default=Path("socle-home"))
    governance_url: str | None = None
    # SQLite governance store only: "full" syncs every commit to disk (default, durable);
    # "normal" (WAL) cannot corrupt the store but may lose the last commits on power loss.
    sqlite_synchronous: Literal["full", "normal"] = "full"
    governance_pool_size: int = Field(default=8, ge=1, le=200)  # connections kept open
    # Several processes may read the warehouse at once only if none writes (serve --workers).
    warehouse_read_only: bool = False
    small_cell_threshold: int = 10
    rounding_base: int = 5

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
