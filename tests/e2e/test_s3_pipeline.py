"""The whole local pipeline with the lake on S3 (moto's server) and the DuckDB warehouse in a local file."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tests.cli import run_replay
from tests.conftest import S3_KEYS, s3_referee

pytestmark = pytest.mark.e2e


def test_pipeline_on_an_s3_lake(tmp_path: Path, s3_server: str, s3_bucket: str) -> None:
    env = {**S3_KEYS, "TRIBUTARY_S3_ENDPOINT": s3_server, "TRIBUTARY_DUCKDB_PATH": str(tmp_path / "warehouse.duckdb")}
    proc = run_replay(f"s3://{s3_bucket}", "--run-id", "s3run", "--work-dir", str(tmp_path / "work"), env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from gold.dim_macro_indicators").fetchone() == (11,)
        assert con.execute("select count(*) from gold.dim_location where is_current").fetchone() == (63 + 696 + 10051,)
    s3 = s3_referee(s3_server)
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=s3_bucket, MaxKeys=1000)["Contents"]}
    assert "reports/s3run/summary.md" in keys and "state/worldbank.json" in keys
    assert S3_KEYS["AWS_SECRET_ACCESS_KEY"] not in proc.stdout + proc.stderr
