"""Which warehouse a stage talks to: the embedded DuckDB file or Trino (settings shared by dbt, verify, validate)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from steps.errors import ConfigError
from steps.lake import Lake


class WarehouseSettings(BaseSettings):
    """``TRIBUTARY_TARGET`` and, for the local target, where the DuckDB file is."""

    model_config = SettingsConfigDict(env_prefix="TRIBUTARY_", extra="ignore", env_ignore_empty=True)

    target: Literal["local", "trino"] = Field(description="local (DuckDB file) or trino.")
    duckdb_path: Path | None = Field(None, description="DuckDB file; default <lake>/warehouse.duckdb for a local lake.")


def duckdb_path(lake: Lake, settings: WarehouseSettings) -> Path:
    """The DuckDB warehouse file of the local target."""
    if settings.duckdb_path is not None:
        return settings.duckdb_path
    if lake.is_local:
        return Path(lake.path("warehouse.duckdb"))
    raise ConfigError(
        "TRIBUTARY_DUCKDB_PATH is not set and the lake is on S3",
        "set TRIBUTARY_DUCKDB_PATH to a local file for the DuckDB warehouse",
    )


def lineage_namespace(lake: Lake, settings: WarehouseSettings) -> str:
    """The warehouse as a lineage namespace: ``duckdb://<absolute file>`` or ``trino://host:port``."""
    from steps.lineage.datasets import duckdb_namespace, trino_namespace

    if settings.target == "trino":
        return trino_namespace(os.environ.get("DBT_TRINO_HOST", ""), int(os.environ.get("DBT_TRINO_PORT", "8080")))
    return duckdb_namespace(str(duckdb_path(lake, settings).resolve()))
