"""Environment variables dbt's profile reads, derived from the stage settings (lake, S3, DuckDB)."""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from steps.dbt.settings import DbtSettings
from steps.duckdb_ext import prepare_extension_dir
from steps.errors import ConfigError
from steps.lake import Lake
from steps.warehouse import duckdb_path


def prepare_dbt_environment(lake: Lake, settings: DbtSettings) -> dict[str, str]:
    """The variables ``dbt/profiles.yml`` and the sources need (values, not secrets, except what AWS_* hold)."""
    env = {"TRIBUTARY_LAKE": lake.uri()}
    if settings.target == "local":
        path = duckdb_path(lake, settings)
        path.parent.mkdir(parents=True, exist_ok=True)
        env["TRIBUTARY_DUCKDB_PATH"] = str(path)
        if not lake.is_local:
            endpoint = urlsplit(lake.s3_endpoint) if lake.s3_endpoint else None
            env.update(
                DBT_DUCKDB_S3_ENDPOINT=endpoint.netloc if endpoint else "s3.amazonaws.com",
                DBT_DUCKDB_S3_USE_SSL="false" if endpoint and endpoint.scheme == "http" else "true",
                DBT_DUCKDB_S3_REGION=lake.s3_region or "us-east-1",
                DBT_DUCKDB_EXTENSION_DIR=str(
                    prepare_extension_dir(settings.work_dir(lake.uri()) / "duckdb-extensions")
                ),
            )
            for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
                if not os.environ.get(var):
                    raise ConfigError(f"{var} is not set and the lake is on S3", f"set {var} (from a Secret)")
    return env
