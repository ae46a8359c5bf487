"""Environment variables dbt's profile reads, derived from the stage settings (lake, S3, DuckDB)."""

from __future__ import annotations

import os
from pathlib import Path
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


def activate_dbt_environment(env: dict[str, str]) -> None:
    """Export ``env`` for dbt, working from the DuckDB file's folder and naming the file relative to it.

    dbt keys a saved parse on the profile's connection values, the DuckDB path among them: relative, one saved
    parse serves every lake on this machine, so only the first build anywhere pays for a full parse (seconds).
    Callers are their own process (a stage), or restore the directory and environment afterwards.
    """
    if "TRIBUTARY_DUCKDB_PATH" in env:
        path = Path(env["TRIBUTARY_DUCKDB_PATH"]).resolve()
        os.chdir(path.parent)
        env = {**env, "TRIBUTARY_DUCKDB_PATH": path.name}
    os.environ.update(env)
