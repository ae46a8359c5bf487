"""The individual checks of the verify stage; each returns None or raises a StepError."""

from __future__ import annotations

import os

from steps.config import HttpPolicy, PipelineConfig
from steps.errors import ConfigError, TransientError
from steps.http import HttpClient
from steps.lake import Lake
from steps.sources import build_source, check_reachable
from steps.warehouse import WarehouseSettings, duckdb_path

# Verify should fail fast: two quick attempts, not the ingest policy's patience.
PROBE_POLICY = HttpPolicy(connect_timeout_s=5, read_timeout_s=15, max_attempts=2, backoff_base_s=0.5, backoff_max_s=1)


def check_source(config: PipelineConfig, name: str) -> None:
    """The source answers: credentials present, then its probe request (or its database/folder) reachable."""
    source = build_source(name, config)
    client = HttpClient(name, PROBE_POLICY)
    try:
        check_reachable(source, client, config.source(name).kind)
    finally:
        client.close()


def check_lake(lake: Lake, run_id: str) -> None:
    """An object can be written, read back and deleted."""
    rel = f"_verify/{run_id}.probe"
    payload = f"tributary verify {run_id}".encode()
    lake.write_bytes(rel, payload)
    if lake.read_bytes(rel) != payload:
        raise TransientError(f"lake {lake.root}: a probe object read back differently", "check the object store")
    lake.delete(rel)


def check_warehouse(lake: Lake, settings: WarehouseSettings) -> None:
    """The warehouse accepts a connection and a trivial query."""
    if settings.target == "local":
        import duckdb

        path = duckdb_path(lake, settings)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(
                f"warehouse {path}: {exc.strerror}", "point TRIBUTARY_DUCKDB_PATH at a writable folder"
            ) from None
        try:
            # read-only when it exists: verifying must not touch the warehouse (the gold gate's skip relies on it)
            with duckdb.connect(str(path), read_only=path.exists()) as con:
                con.execute("select 1").fetchone()
        except duckdb.IOException as exc:
            raise TransientError(
                f"warehouse {path}: {exc}", "another process holds the DuckDB file; retry later"
            ) from None
        return
    _check_trino()


def _check_trino() -> None:
    host = os.environ.get("DBT_TRINO_HOST")
    if not host:
        raise ConfigError("DBT_TRINO_HOST is not set for target trino", "set DBT_TRINO_HOST (and DBT_TRINO_PORT)")
    import trino

    port = int(os.environ.get("DBT_TRINO_PORT", "8080"))
    try:
        con = trino.dbapi.connect(  # type: ignore[no-untyped-call]
            host=host, port=port, user=os.environ.get("DBT_TRINO_USER", "tributary")
        )
        cur = con.cursor()
        cur.execute("select 1")
        cur.fetchall()
    except Exception as exc:  # noqa: BLE001 - any driver error means "not reachable"
        raise TransientError(f"warehouse trino at {host}:{port}: {exc}", "check the Trino service is up") from None
