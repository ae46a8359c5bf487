"""The bronze gate (``python -m steps.validate --suite bronze``) passes the new sources' real batches with their
reviewed suites."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from steps.validate.suites import load_suite
from tests.conftest import FAST_HTTP, StageEnv
from tests.steps.sources.conftest import Postgres
from tests.steps.sources.helpers import KEYS, source_sections
from workflows.replay.server import Quota, ReplayServer

NEW_SUITES = [
    "app_db.orders",
    "eia.observations",
    "fred.observations",
    "fred.series",
    "fx_files.fx_rates",
    "noaa.observations",
]


def test_new_suites_load_and_use_only_the_generic_parameters() -> None:
    for dataset in NEW_SUITES:
        suite = load_suite("bronze", dataset)
        assert suite.index_columns and suite.parameters == {"run_ids", "expected_rows"}


def test_bronze_gate_passes_the_new_sources(tmp_path: Path, replay_server: ReplayServer, postgres: Postgres) -> None:
    import psycopg

    admin: Any = postgres.connect()
    admin.execute('DROP DATABASE IF EXISTS "gate_orders" WITH (FORCE)')
    admin.execute('CREATE DATABASE "gate_orders"')
    admin.close()
    with psycopg.connect(
        host=postgres.host,
        port=postgres.port,
        user=postgres.user,
        password=postgres.password,
        dbname="gate_orders",
        autocommit=True,
    ) as conn:
        conn.execute(
            "CREATE TABLE orders (order_id integer PRIMARY KEY, customer text NOT NULL, amount numeric(12,2),"
            " status text, details jsonb, updated_at timestamptz)"
        )
        conn.execute("INSERT INTO orders VALUES (1, 'a', 1.5, 'new', '{}', now()), (2, 'b', 2, 'new', null, now())")
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "d1.csv").write_text("rate_date,currency,rate\n2026-01-02,USD,25300.5\n2026-01-02,EUR,27500\n")
    for provider in ("fred", "eia", "noaa"):
        replay_server.set_quota(provider, Quota(()))
    sources = {
        **source_sections(replay_server),
        "app_db": {
            "kind": "postgres",
            "host": postgres.host,
            "port": postgres.port,
            "dbname": "gate_orders",
            "user": postgres.user,
            "password_env": "APP_DB_PASSWORD",
            "sslmode": "disable",
            "tables": [
                {
                    "table": "orders",
                    "primary_key": ["order_id"],
                    "mode": "incremental",
                    "watermark_column": "updated_at",
                }
            ],
        },
        "fx_files": {
            "kind": "files",
            "location": str(drop),
            "datasets": [{"name": "fx_rates", "pattern": "*.csv", "primary_key": ["rate_date", "currency"]}],
        },
    }
    config = tmp_path / "pipeline.yaml"
    config.write_text(yaml.safe_dump({"http": dict(FAST_HTTP), "sources": sources}))
    stage = StageEnv(
        lake=str(tmp_path / "lake"),
        config=config,
        extra={**KEYS, "APP_DB_PASSWORD": postgres.password, "TRIBUTARY_TARGET": "local"},
    )
    for source in sources:
        proc = stage.run("ingest", "--source", source, "--run-id", "r1")
        assert proc.returncode == 0, f"{source}: {proc.stderr}"
    proc = stage.run("validate", "--suite", "bronze", "--run-id", "r1")
    assert proc.returncode == 0, proc.stderr
    result = json.loads((Path(stage.lake) / "reports/r1/stages/validate-bronze.json").read_text())
    metrics = result["metrics"]
    assert metrics["outcome"] == "passed" and metrics["expectations"]["failed"] == 0
    checked = {d["dataset"]: d for d in metrics["datasets"]}
    assert set(checked) == set(NEW_SUITES)
    assert all(d["success"] and d["evaluated"] > 5 for d in checked.values())
