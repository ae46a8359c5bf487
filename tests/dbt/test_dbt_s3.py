"""The `local` target reads bronze from an s3:// lake: the profile's S3 branch, against moto.

The caller's side of the contract is played here: httpfs is installed (from the
duckdb-extension-httpfs package, no download) into DBT_DUCKDB_EXTENSION_DIR, and the S3
endpoint, SSL flag, region and keys come from the environment.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import boto3
import duckdb
import duckdb_extension_httpfs
import pytest
from moto.server import ThreadedMotoServer

from tests.dbt.bronze_fixtures import IngestRun, write_hidden_temp_files, write_provinces_v1
from tests.dbt.dbt_runner import DbtProject, Lakehouse

RUN = IngestRun("20260301T080000Z-s3", dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC))
BUCKET = "tributary-lake"
PREFIX = "prod"


def _install_httpfs(extension_dir: Path) -> None:
    """Lay the packaged httpfs out the way DuckDB looks for it: <dir>/v<version>/<platform>/."""
    version = f"v{duckdb.__version__}"
    row = duckdb.execute("pragma platform").fetchone()
    assert row is not None
    (platform,) = row
    packaged = Path(duckdb_extension_httpfs.__file__).parent / "extensions" / version
    target = extension_dir / version / platform
    target.mkdir(parents=True)
    shutil.copy(packaged / "httpfs.duckdb_extension", target)


@pytest.fixture(scope="module")
def s3_lakehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lakehouse]:
    root = tmp_path_factory.mktemp("s3")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        with pytest.MonkeyPatch.context() as env:
            env.setenv("AWS_ACCESS_KEY_ID", "tributary-test")
            env.setenv("AWS_SECRET_ACCESS_KEY", "tributary-test-secret")
            s3 = boto3.client("s3", endpoint_url=f"http://{host}:{port}", region_name="us-east-1")
            s3.create_bucket(Bucket=BUCKET)
            staging = root / "staging"
            write_provinces_v1(staging, RUN)
            write_hidden_temp_files(staging, RUN)
            for path in staging.rglob("*"):
                if path.is_file():
                    key = f"{PREFIX}/{path.relative_to(staging).as_posix()}"
                    s3.upload_file(str(path), BUCKET, key)
            _install_httpfs(root / "extensions")

            env.setenv("TRIBUTARY_LAKE", f"s3://{BUCKET}/{PREFIX}/")  # trailing slash on purpose
            env.setenv("TRIBUTARY_DUCKDB_PATH", str(root / "warehouse.duckdb"))
            env.setenv("DBT_DUCKDB_S3_ENDPOINT", f"{host}:{port}")
            env.setenv("DBT_DUCKDB_S3_USE_SSL", "false")
            env.setenv("DBT_DUCKDB_S3_REGION", "us-east-1")
            env.setenv("DBT_DUCKDB_EXTENSION_DIR", str(root / "extensions"))
            env.setenv("DO_NOT_TRACK", "1")
            yield Lakehouse(lake=staging, warehouse=root / "warehouse.duckdb", dbt=DbtProject(root / "dbt"))
    finally:
        server.stop()


def test_silver_reads_bronze_from_s3(s3_lakehouse: Lakehouse) -> None:
    result = s3_lakehouse.dbt.invoke("run", "--select", "stg_vn_provinces__provinces")
    assert result.success, f"dbt run over s3 failed: {result.exception!r}"
    # 63 provinces; the hidden in-flight files next to them were not read.
    assert s3_lakehouse.query(
        "select count(*) as provinces, max(province_code) as max_code, min(run_id) as run_id"
        " from silver.stg_vn_provinces__provinces"
    ) == [{"provinces": 63, "max_code": 96, "run_id": RUN.run_id}]
