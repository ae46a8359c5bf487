"""The individual checks of the verify stage; each returns None or raises a StepError.

Verify proves the run's dependencies answer, without the libraries that later stages use to work with them: the
DuckDB file is checked as a file (its header, and whether another process holds it), Trino through its HTTP
API, so the verify image stays a few megabytes (docs/images.md).
"""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path

from steps.config import PipelineConfig
from steps.errors import ConfigError, StepError, TransientError
from steps.http import HttpClient
from steps.lake import Lake
from steps.sources import build_source, check_reachable
from steps.sources.config import HttpPolicy
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
    """The warehouse accepts a connection: the DuckDB file can be opened, or Trino answers a query."""
    if settings.target == "local":
        check_duckdb_file(duckdb_path(lake, settings))
        return
    check_trino(TRINO_PROBE_TIMEOUT_S)


DUCKDB_MAGIC = b"DUCK"  # bytes 8-11 of every DuckDB database file (after an 8-byte checksum)
TRINO_PROBE_TIMEOUT_S = 15.0


def check_duckdb_file(path: Path) -> None:
    """The DuckDB file's folder is writable, and an existing file is a DuckDB database no other process writes.

    A DuckDB process that opened the file for writing holds a POSIX write lock on it (a reader, a read lock): the
    same lock a build would meet. Verify never opens the database itself, so it cannot touch it either.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"warehouse {path}: {exc.strerror}", "point TRIBUTARY_DUCKDB_PATH at a writable folder"
        ) from None
    if not path.exists():
        if not os.access(path.parent, os.W_OK):
            raise ConfigError(f"warehouse {path}: the folder is not writable", "fix its permissions")
        return
    try:
        with open(path, "rb") as handle:
            if handle.read(12)[8:12] != DUCKDB_MAGIC:
                raise ConfigError(
                    f"warehouse {path} is not a DuckDB database file",
                    "point TRIBUTARY_DUCKDB_PATH at the warehouse, or move the file away",
                )
            try:
                fcntl.lockf(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except OSError:
                raise TransientError(
                    f"warehouse {path}: another process is writing the DuckDB file", "retry when it has finished"
                ) from None
            fcntl.lockf(handle, fcntl.LOCK_UN)
    except OSError as exc:
        raise ConfigError(f"warehouse {path}: {exc.strerror}", "check the file's permissions") from None


def check_trino(timeout_s: float) -> None:
    """Trino answers ``select 1`` over its client protocol (POST /v1/statement, then follow ``nextUri``).

    The same settings as the dbt profile: ``DBT_TRINO_HOST``/``PORT``/``USER``, and with ``DBT_TRINO_PASSWORD``
    basic authentication over https.
    """
    import requests

    host = os.environ.get("DBT_TRINO_HOST")
    if not host:
        raise ConfigError("DBT_TRINO_HOST is not set for target trino", "set DBT_TRINO_HOST (and DBT_TRINO_PORT)")
    port = os.environ.get("DBT_TRINO_PORT", "8080")
    user = os.environ.get("DBT_TRINO_USER", "tributary")
    password = os.environ.get("DBT_TRINO_PASSWORD")
    scheme = "https" if password else "http"
    where = f"warehouse trino at {host}:{port}"
    headers = {"X-Trino-User": user, "X-Trino-Source": "tributary-verify"}
    auth = (user, password) if password else None
    deadline = time.monotonic() + timeout_s
    try:
        response = requests.post(
            f"{scheme}://{host}:{port}/v1/statement", data=b"SELECT 1", headers=headers, auth=auth, timeout=(5, 15)
        )
        while True:
            if response.status_code in (401, 403):
                raise ConfigError(
                    f"{where} refused user {user!r} (HTTP {response.status_code})",
                    "check DBT_TRINO_USER and the tributary-trino Secret's DBT_TRINO_PASSWORD",
                )
            if response.status_code != 200:
                raise TransientError(f"{where} answered HTTP {response.status_code}", "check the Trino service")
            body = response.json()
            error = body.get("error")
            if error:
                raise TransientError(
                    f"{where} failed a test query: {error.get('errorName', '')} {error.get('message', '')}".strip(),
                    "check the Trino coordinator's log",
                )
            next_uri = body.get("nextUri")
            if not next_uri:
                return
            if time.monotonic() > deadline:
                raise TransientError(f"{where} did not finish a test query in {timeout_s:.0f}s", "check its load")
            time.sleep(0.05)
            response = requests.get(next_uri, headers=headers, auth=auth, timeout=(5, 15))
    except StepError:
        raise
    except (requests.RequestException, ValueError) as exc:
        raise TransientError(f"{where}: {exc}", "check the Trino service is up, then retry") from None
