"""``tributary status`` on an S3 lake (moto's server): a run's facts, its daily quota count, an unreachable store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli import run_replay
from tests.conftest import S3_KEYS, s3_referee, write_config
from tests.workflows.status.conftest import as_json, free_port, refused, status, table_rows
from workflows.replay.server import ReplayServer

pytestmark = pytest.mark.e2e


def test_status_of_an_s3_lake_with_a_daily_quota(
    tmp_path: Path, s3_server: str, s3_bucket: str, replay_server: ReplayServer
) -> None:
    # the World Bank source counts its requests against a daily quota of 100, kept in the lake
    config = write_config(tmp_path / "pipeline.yaml", replay_server, worldbank={"daily_quota": 100})
    env = {**S3_KEYS, "TRIBUTARY_S3_ENDPOINT": s3_server, "TRIBUTARY_DUCKDB_PATH": str(tmp_path / "warehouse.duckdb")}
    lake = f"s3://{s3_bucket}"
    run = run_replay(lake, "--config", str(config), "--run-id", "s3run", "--work-dir", str(tmp_path / "w"), env=env)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]

    proc = status("--lake", lake, "--config", str(config), env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rows = table_rows(proc.stdout)
    summary = json.loads(
        s3_referee(s3_server).get_object(Bucket=s3_bucket, Key="reports/s3run/summary.json")["Body"].read()
    )
    sent = next(s["requests"] for s in summary["sources"] if s["source"] == "worldbank")
    assert rows["worldbank"][1] == "OK" and rows["worldbank"][3] == "s3run"
    assert rows["worldbank"][-2] == f"{sent}/100"  # today's count: the requests the run sent
    assert rows["vn_provinces"][-2] == "-"  # no daily quota configured
    assert f"Lake {lake} at " in proc.stdout
    assert S3_KEYS["AWS_SECRET_ACCESS_KEY"] not in proc.stdout + proc.stderr

    doc = as_json(status("--lake", lake, "--config", str(config), "--json", env=env))
    worldbank = next(s for s in doc["sources"] if s["source"] == "worldbank")
    assert worldbank["quota"]["used"] == sent and worldbank["quota"]["basis"] == "lake"
    assert worldbank["daily_quota"] == 100 and worldbank["breaker_trips"] == []


def test_an_unreachable_object_store_is_transient(tmp_path: Path) -> None:
    env = {**S3_KEYS, "TRIBUTARY_S3_ENDPOINT": f"http://127.0.0.1:{free_port()}"}
    proc = status("--lake", "s3://tributary-lake", env=env)
    refused(proc, 75, "lake s3://tributary-lake", "did not answer")


def test_a_missing_bucket_is_bad_input(s3_server: str) -> None:
    env = {**S3_KEYS, "TRIBUTARY_S3_ENDPOINT": s3_server}
    proc = status("--lake", "s3://no-such-bucket", env=env)
    refused(proc, 2, "the bucket does not exist")
