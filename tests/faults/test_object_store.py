"""Object store faults: the S3 endpoint cut in the middle of an upload, and what failed ingests leave behind."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import S3_KEYS, StageEnv, write_config
from tests.faults.proxy import CuttingProxy
from workflows.replay.server import Fault, ReplayServer

# The ingest stage with 64 KiB upload parts, so that a small test source uploads in several parts.
SMALL_PARTS = (
    "import runpy, sys, steps.s3.upload as upload; upload.PART_SIZE = 64 * 1024; "
    "sys.argv = ['steps.ingest', *sys.argv[1:]]; runpy.run_module('steps.ingest', run_name='__main__')"
)


@pytest.fixture
def proxy(s3_server: str) -> Iterator[CuttingProxy]:
    """The moto server behind a proxy that cuts it during the second part of a multipart upload."""
    with CuttingProxy(s3_server, trigger=b"partNumber=2", after_bytes=2048) as cutting:
        yield cutting


def _ingest(env: StageEnv, run_id: str, *, small_parts: bool) -> subprocess.CompletedProcess[str]:
    head = [sys.executable, "-c", SMALL_PARTS] if small_parts else [sys.executable, "-m", "steps.ingest"]
    return subprocess.run(
        [*head, "--source", "vn_provinces", "--run-id", run_id],
        env=env.env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _keys(s3: object, bucket: str, prefix: str) -> list[str]:
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)  # type: ignore[attr-defined]
    return [o["Key"] for page in pages for o in page.get("Contents", [])]


def _uploads(s3: object, bucket: str) -> list[str]:
    answer = s3.list_multipart_uploads(Bucket=bucket)  # type: ignore[attr-defined]
    return [u["Key"] for u in answer.get("Uploads", [])]


def test_endpoint_cut_mid_upload_is_transient_and_leaves_nothing(
    tmp_path: Path, replay_server: ReplayServer, s3_bucket: str, s3: object, proxy: CuttingProxy
) -> None:
    config = write_config(tmp_path / "pipeline.yaml", replay_server)
    env = StageEnv(lake=f"s3://{s3_bucket}", config=config, extra={**S3_KEYS, "TRIBUTARY_S3_ENDPOINT": proxy.url})

    started = time.monotonic()
    failed = _ingest(env, "cut", small_parts=True)
    elapsed = time.monotonic() - started

    assert proxy.cuts == 1, "the upload never reached its second part"
    assert failed.returncode == 75, failed.stderr[-2000:]
    assert elapsed < 30, f"the cut took {elapsed:.0f}s to surface"
    last = failed.stderr.strip().splitlines()[-1]
    assert last.startswith("ingest-vn-provinces: lake s3://") and "Fix: " in last
    assert "Traceback" not in failed.stderr

    proxy.restore()
    ok = _ingest(env, "after", small_parts=False)
    assert ok.returncode == 0, ok.stderr[-2000:]
    assert _uploads(s3, s3_bucket) == []  # the cut run's parts are aborted
    assert [k for k in _keys(s3, s3_bucket, "raw/") if "/cut/" in k] == []  # its raw pages are pruned
    assert [k for k in _keys(s3, s3_bucket, "bronze/") if "cut" in k] == []
    assert any("/after/" in k for k in _keys(s3, s3_bucket, "raw/"))


def test_failed_ingest_removes_its_raw_pages(local_stage: StageEnv, replay_server: ReplayServer) -> None:
    replay_server.add_fault(Fault(path="NY.GDP", status=404))  # refused: the run fails after other pages landed
    failed = local_stage.run("ingest", "--source", "worldbank", "--run-id", "bad")
    assert failed.returncode == 2, failed.stderr[-2000:]
    raw = Path(local_stage.lake) / "raw"
    assert not [p for p in raw.rglob("*") if p.is_file() and "bad" in p.parts]


def test_next_ingest_prunes_abandoned_raw_pages(local_stage: StageEnv) -> None:
    lake = Path(local_stage.lake)
    abandoned = lake / "raw/worldbank/indicator/crashed/VN-p00001.json.gz"  # a run killed before its manifest
    abandoned.parent.mkdir(parents=True)
    abandoned.write_bytes(b"partial")
    ok = local_stage.run("ingest", "--source", "worldbank", "--run-id", "next")
    assert ok.returncode == 0, ok.stderr[-2000:]
    assert not abandoned.exists()
    assert list((lake / "raw/worldbank").rglob("next/*"))  # the committed run's pages stay


def test_next_ingest_aborts_incomplete_uploads(
    tmp_path: Path, replay_server: ReplayServer, s3_server: str, s3_bucket: str, s3: object
) -> None:
    key = "bronze/worldbank/indicator_values/ingest_date=2026-01-01/.crashed.parquet.inprogress"
    s3.create_multipart_upload(Bucket=s3_bucket, Key=key)  # type: ignore[attr-defined]
    other = s3.create_multipart_upload(Bucket=s3_bucket, Key="elsewhere/file")  # type: ignore[attr-defined]
    config = write_config(tmp_path / "pipeline.yaml", replay_server)
    env = StageEnv(lake=f"s3://{s3_bucket}", config=config, extra={**S3_KEYS, "TRIBUTARY_S3_ENDPOINT": s3_server})
    ok = env.run("ingest", "--source", "worldbank", "--run-id", "next")
    assert ok.returncode == 0, ok.stderr[-2000:]
    assert _uploads(s3, s3_bucket) == ["elsewhere/file"]  # ours aborted, others' untouched
    s3.abort_multipart_upload(Bucket=s3_bucket, Key="elsewhere/file", UploadId=other["UploadId"])  # type: ignore[attr-defined]


def test_kill9_between_publishing_bronze_and_its_manifest(
    tmp_path: Path,
    replay_server: ReplayServer,
    s3_bucket: str,
    s3: object,
    s3_server: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A real SIGKILL at the worst point: bronze is published, the manifest request is in flight.

    The proxy holds the manifest's PUT (it never reaches the store), the test kills the ingest there. Nothing
    reads the published file (no manifest names it), state did not advance, and the next ingest of the source
    removes the file and commits its own delivery.
    """
    import json
    import signal

    from steps.dbt.committed import bronze_index, deliveries
    from steps.lake import Lake

    config = write_config(tmp_path / "pipeline.yaml", replay_server)
    with CuttingProxy(s3_server, trigger=b"_manifests/killed.json", hold=True) as proxy:
        env = StageEnv(lake=f"s3://{s3_bucket}", config=config, extra={**S3_KEYS, "TRIBUTARY_S3_ENDPOINT": proxy.url})
        ingest = subprocess.Popen(
            [sys.executable, "-m", "steps.ingest", "--source", "vn_provinces", "--run-id", "killed"],
            env=env.env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            assert proxy.held.wait(120), "the ingest never wrote its manifest"
            ingest.send_signal(signal.SIGKILL)
        finally:
            ingest.wait(30)
    assert ingest.returncode == -signal.SIGKILL

    published = [k for k in _keys(s3, s3_bucket, "bronze/vn_provinces/") if k.endswith("/killed.parquet")]
    assert len(published) == 3  # provinces, districts, wards: visible, uncommitted
    assert [k for k in _keys(s3, s3_bucket, "bronze/") if "_manifests/killed" in k] == []
    assert [k for k in _keys(s3, s3_bucket, "state/") if "vn_provinces" in k] == []  # state never ahead

    # What dbt would be given to read: the lake as the readers see it (the moto server, the proxy is gone).
    for name, value in S3_KEYS.items():
        monkeypatch.setenv(name, value)
    lake = Lake(f"s3://{s3_bucket}", s3_endpoint=s3_server, s3_region="us-east-1")
    committed = deliveries(lake, ["vn_provinces"])
    assert committed == [] and bronze_index(lake, committed) == {}

    direct = StageEnv(lake=env.lake, config=config, extra={**S3_KEYS, "TRIBUTARY_S3_ENDPOINT": s3_server})
    ok = _ingest(direct, "after-kill", small_parts=False)
    assert ok.returncode == 0, ok.stderr[-2000:]
    bronze = _keys(s3, s3_bucket, "bronze/vn_provinces/")
    assert [k for k in bronze if "killed" in k] == []  # the leftover is gone
    key = "bronze/vn_provinces/_manifests/after-kill.json"
    manifest = s3.get_object(Bucket=s3_bucket, Key=key)  # type: ignore[attr-defined]
    assert json.loads(manifest["Body"].read())["run_id"] == "after-kill"
