"""The same ingest with the lake on S3 (moto's real S3 API server)."""

import json

import pyarrow.fs as pafs
import pyarrow.parquet as pq

from tests.conftest import S3_KEYS, StageEnv, s3_referee, write_config
from workflows.replay.server import ReplayServer


def test_ingest_to_s3_lake(tmp_path, replay_server: ReplayServer, s3_server: str, s3_bucket: str) -> None:
    config = write_config(tmp_path / "pipeline.yaml", replay_server, worldbank={"per_page": 5})
    stage = StageEnv(
        lake=f"s3://{s3_bucket}/lake", config=config, extra={"TRIBUTARY_S3_ENDPOINT": s3_server, **S3_KEYS}
    )
    for source in ("worldbank", "vn_provinces"):
        proc = stage.run("ingest", "--source", source, "--run-id", "r1")
        assert proc.returncode == 0, proc.stderr

    s3 = s3_referee(s3_server)
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=s3_bucket, Prefix="lake/")["Contents"])
    assert not [k for k in keys if "/." in k], "no temporary objects stay behind"
    manifest = json.loads(
        s3.get_object(Bucket=s3_bucket, Key="lake/bronze/worldbank/_manifests/r1.json")["Body"].read()
    )
    path = manifest["datasets"]["indicator_values"]["path"]
    assert f"lake/{path}" in keys and len([k for k in keys if k.endswith(".json.gz") and "worldbank" in k]) == 9

    fs = pafs.S3FileSystem(
        endpoint_override=s3_server.split("//")[1],
        scheme="http",
        access_key=S3_KEYS["AWS_ACCESS_KEY_ID"],
        secret_key=S3_KEYS["AWS_SECRET_ACCESS_KEY"],
    )
    assert pq.read_table(f"{s3_bucket}/lake/{path}", filesystem=fs).num_rows == 33
    state = json.loads(s3.get_object(Bucket=s3_bucket, Key="lake/state/vn_provinces.json")["Body"].read())
    assert state["last_success"]["rows"] == {"provinces": 63, "districts": 696, "wards": 10051}
    # the lake holds no credential anywhere
    for key in keys:
        body = s3.get_object(Bucket=s3_bucket, Key=key)["Body"].read()
        assert S3_KEYS["AWS_SECRET_ACCESS_KEY"].encode() not in body


def test_missing_bucket_fails_verify_with_one_line(tmp_path, replay_server: ReplayServer, s3_server: str) -> None:
    config = write_config(tmp_path / "pipeline.yaml", replay_server)
    stage = StageEnv(lake="s3://no-such-bucket", config=config, extra={"TRIBUTARY_S3_ENDPOINT": s3_server, **S3_KEYS})
    proc = stage.run("verify", "--run-id", "r1", "--sources", "worldbank")
    assert proc.returncode == 2
    assert "verify: lake: lake s3://no-such-bucket: the bucket does not exist. Fix: create the bucket" in proc.stderr
