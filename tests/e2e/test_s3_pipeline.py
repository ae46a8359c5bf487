"""The whole local pipeline with the lake on S3 (moto's server) and the DuckDB warehouse in a local file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import boto3
import duckdb
import pytest

from tests.conftest import REPO, S3_KEYS

pytestmark = pytest.mark.e2e


def test_pipeline_on_an_s3_lake(tmp_path: Path, s3_server: str, s3_bucket: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRIBUTARY_")}
    env.update(S3_KEYS, TRIBUTARY_S3_ENDPOINT=s3_server, TRIBUTARY_DUCKDB_PATH=str(tmp_path / "warehouse.duckdb"))
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "workflows.cli",
            "run",
            "--replay",
            "--lake",
            f"s3://{s3_bucket}",
            "--run-id",
            "s3run",
            "--work-dir",
            str(tmp_path / "work"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        cwd=REPO,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from gold.dim_macro_indicators").fetchone() == (11,)
        assert con.execute("select count(*) from gold.dim_location where is_current").fetchone() == (63 + 696 + 10051,)
    s3 = boto3.client(
        "s3",
        endpoint_url=s3_server,
        region_name="us-east-1",
        aws_access_key_id=S3_KEYS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=S3_KEYS["AWS_SECRET_ACCESS_KEY"],
    )
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=s3_bucket, MaxKeys=1000)["Contents"]}
    assert "reports/s3run/summary.md" in keys and "state/worldbank.json" in keys
    assert S3_KEYS["AWS_SECRET_ACCESS_KEY"] not in proc.stdout + proc.stderr
