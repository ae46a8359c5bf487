"""The stages whose images have no pyarrow (verify, freshness, summary, dbt) import and run without it.

Every source kind is built, prepared and probed, and every dataset declared to Trino, in a process where importing
pyarrow fails (tests/steps/sources/pyarrow_blocked.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO
from tests.steps.sources.conftest import Postgres
from tests.steps.sources.helpers import KEYS, write_pipeline
from workflows.replay.server import Quota, ReplayServer

# steps.lake reads and writes without pyarrow (steps.lake_local, steps.lake_s3), so the blocked process blocks
# pyarrow for steps.lake too.
LAKE_USES_PYARROW = False

# Catalog types the Postgres source maps to declared types (bytea aside: Trino gets no binary column), and three it
# reads as text.
KINDS_TABLE = (
    "CREATE TABLE public.kinds (id int8 PRIMARY KEY, small int2, medium int4, ratio float4, score float8,"
    " active bool, note text, label varchar(20), code char(3), born date, seen timestamp, changed timestamptz,"
    " amount numeric(12,2), loose numeric, ref uuid, body jsonb)"
)


@pytest.fixture
def app_database(postgres: Postgres) -> Iterator[str]:
    """A database holding public.kinds; yields its name."""
    name = "no_pyarrow"
    admin: Any = postgres.connect()
    admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
    admin.execute(f'CREATE DATABASE "{name}"')
    import psycopg

    with psycopg.connect(
        host=postgres.host,
        port=postgres.port,
        user=postgres.user,
        password=postgres.password,
        dbname=name,
        autocommit=True,
    ) as conn:
        conn.execute(KINDS_TABLE)
    yield name
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


def test_light_stages_build_prepare_probe_and_declare_every_source_without_pyarrow(
    tmp_path: Path, replay_server: ReplayServer, postgres: Postgres, app_database: str
) -> None:
    for provider in ("fred", "eia", "noaa"):
        replay_server.set_quota(provider, Quota(()))
    drop = tmp_path / "drop"
    (drop / "fx").mkdir(parents=True)
    (drop / "fx" / "2026-01-02.csv").write_text("rate_date,currency,rate\n2026-01-02,USD,25300.5\n")
    sections: dict[str, dict[str, Any]] = {
        "worldbank": {},
        "vn_provinces": {},
        "fred": {},
        "eia": {},
        "noaa": {},
        "app_db": {
            "kind": "postgres",
            "host": postgres.host,
            "port": postgres.port,
            "dbname": app_database,
            "user": postgres.user,
            "password_env": "APP_DB_PASSWORD",
            "tables": [{"table": "public.kinds", "primary_key": ["id"]}],
        },
        "fx_files": {
            "kind": "files",
            "location": str(drop),
            "datasets": [{"name": "fx_rates", "pattern": "fx/*.csv"}],
        },
    }
    config = write_pipeline(tmp_path / "pipeline.yaml", replay_server, sections)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("TRIBUTARY_")},
        **KEYS,
        "APP_DB_PASSWORD": postgres.password,
        "TRIBUTARY_CONFIG": str(config),
        "TRIBUTARY_LAKE": str(tmp_path / "lake"),
        "TRIBUTARY_TARGET": "local",
        "BLOCKED_LAKE_MAY_USE_PYARROW": "1" if LAKE_USES_PYARROW else "0",
    }
    proc = subprocess.run(
        [sys.executable, "-m", "tests.steps.sources.pyarrow_blocked"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["lake_uses_pyarrow"] == LAKE_USES_PYARROW, (
        "steps.lake no longer needs pyarrow: set LAKE_USES_PYARROW = False in this test"
    )
    assert set(report["kinds"].values()) == {"worldbank", "vn_provinces", "fred", "eia", "noaa", "postgres", "files"}
    assert set(report["probes"]) == {"worldbank", "vn_provinces", "fred", "eia", "noaa"}
    assert report["datasets"] == {
        "worldbank": ["indicator_values"],
        "vn_provinces": ["provinces", "districts", "wards"],
        "fred": ["observations", "series"],
        "eia": ["observations"],
        "noaa": ["observations"],
        "app_db": ["kinds"],
        "fx_files": [],  # a files dataset's columns are inferred from its first file, by the ingest
    }
    assert report["statements"] == 4 * 9  # schema, table, partition sync and the committed view per dataset
    assert report["verify_exit"] == 0, proc.stderr[-3000:]
