"""Two runs on one lake: the second waits, then exits 75 naming the holder; the first is untouched.

Found in issue 12: the run lock belonged to the work folder, so two runs with different ``--work-dir`` (or two S3
runs started from different folders) ran at once and one's cleanup deleted the other's files in progress.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from steps.s3.client import S3Client
from steps.s3.signing import Credentials
from tests.conftest import REPO, S3_KEYS
from tests.faults.conftest import FRESH, RunProcess
from workflows.local.lakelock import FolderLock, LakeBusyError, acquire
from workflows.local.lease import S3Lease
from workflows.local.owner import LOCK_KEY, Owner

SLOW_INGEST = {**FRESH, "sleep": {"ingest-worldbank": 6}}


def test_a_second_run_with_another_work_folder_exits_75_naming_the_first(
    start_run: Callable[..., RunProcess], tmp_path: Path
) -> None:
    first = start_run(SLOW_INGEST, "--work-dir", str(tmp_path / "work-a"), run_id="local-a")
    first.wait_started("ingest-worldbank")
    second = start_run(FRESH, "--work-dir", str(tmp_path / "work-b"), "--wait-lock", "1", run_id="local-b")
    code, err = second.finish()
    assert code == 75, err
    last = err.strip().splitlines()[-1]
    assert "in use by run local-a" in last and "Fix:" in last and "Traceback" not in err
    assert second.started() == []  # not one task of the second run started
    code, err = first.finish()
    assert code == 0, err
    assert [s["key"] for s in first.started()][-1] == "on-exit"  # the first ran to its end, undisturbed
    assert (tmp_path / "work-a" / "local-a" / "logs" / "nodes.json").exists()
    assert not (tmp_path / "work-b").exists()  # the second wrote nothing


def test_the_lock_is_a_file_in_the_lake_naming_its_holder(tmp_path: Path) -> None:
    held = FolderLock(tmp_path, Owner(run_id="local-a"))
    assert held.try_acquire() is None
    assert json.loads((tmp_path / LOCK_KEY).read_text())["run_id"] == "local-a"
    said: list[str] = []
    with pytest.raises(LakeBusyError) as busy:
        acquire(
            FolderLock(tmp_path, Owner(run_id="local-b")),
            str(tmp_path),
            wait_s=0.2,
            say=said.append,
            interrupted=lambda: False,
        )
    assert busy.value.holder is not None and busy.value.holder.run_id == "local-a"
    assert said and "in use by run local-a" in said[0] and "waiting up to" in said[0]
    held.release()
    again = FolderLock(tmp_path, Owner(run_id="local-b"))
    assert again.try_acquire() is None  # released: the next run takes it
    again.release()


def _client(s3_server: str, bucket: str) -> S3Client:
    keys = Credentials(S3_KEYS["AWS_ACCESS_KEY_ID"], S3_KEYS["AWS_SECRET_ACCESS_KEY"])
    return S3Client(bucket, endpoint=s3_server, credentials=keys)


def test_s3_lease_has_one_holder_at_a_time(s3_server: str, s3_bucket: str) -> None:
    client = _client(s3_server, s3_bucket)
    first = S3Lease(client, LOCK_KEY, Owner(run_id="local-a"), ttl_s=30)
    second = S3Lease(client, LOCK_KEY, Owner(run_id="local-b"), ttl_s=30)
    assert first.try_acquire() is None
    holder = second.try_acquire()
    assert holder is not None and holder.run_id == "local-a" and holder.expires is not None
    first.release()
    assert second.try_acquire() is None
    assert json.loads(client.get(LOCK_KEY))["run_id"] == "local-b"
    second.release()
    assert client.head(LOCK_KEY) is None


def test_s3_lease_is_renewed_while_held_and_taken_over_once_expired(s3_server: str, s3_bucket: str) -> None:
    client = _client(s3_server, s3_bucket)
    alive = S3Lease(client, LOCK_KEY, Owner(run_id="local-a"), ttl_s=1.5)
    assert alive.try_acquire() is None
    time.sleep(2.5)  # past the first expiry: only the heartbeat keeps it
    assert S3Lease(client, LOCK_KEY, Owner(run_id="local-b"), ttl_s=1.5).try_acquire() is not None
    alive._stop.set()  # the holder dies: no more renewals, no release
    assert alive._heartbeat is not None
    alive._heartbeat.join()
    time.sleep(2.0)
    said: list[str] = []
    taker = S3Lease(client, LOCK_KEY, Owner(run_id="local-c"), ttl_s=30, say=said.append)
    assert taker.try_acquire() is None
    assert said and "took over the lake from run local-a" in said[0]
    alive.release()  # the dead holder's late release must not delete the new lease
    assert json.loads(client.get(LOCK_KEY))["run_id"] == "local-c"
    taker.release()


def test_a_run_on_an_s3_lake_held_by_another_exits_75(
    start_run: Callable[..., RunProcess], s3_server: str, s3_bucket: str
) -> None:
    client = _client(s3_server, s3_bucket)
    other = S3Lease(client, LOCK_KEY, Owner(run_id="local-elsewhere", host="laptop-2"), ttl_s=60)
    assert other.try_acquire() is None
    try:
        env = {**S3_KEYS, "TRIBUTARY_S3_ENDPOINT": s3_server}
        run = start_run(FRESH, "--wait-lock", "0", lake=f"s3://{s3_bucket}", env=env)
        code, err = run.finish()
    finally:
        other.release()
    assert code == 75, err
    assert "in use by run local-elsewhere" in err and "laptop-2" in err and "Traceback" not in err
    assert run.started() == []


def test_a_rebuild_waits_for_the_run_holding_the_lake_then_exits_75(tmp_path: Path) -> None:
    """A rebuild rewrites the warehouse, so it must not run beside a pipeline run on the same lake."""
    held = FolderLock(tmp_path / "lake", Owner(run_id="local-running"))
    assert held.try_acquire() is None
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "workflows.cli", "rebuild", "--lake", str(tmp_path / "lake"), "--wait-lock", "0"],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            cwd=REPO,
        )
    finally:
        held.release()
    assert proc.returncode == 75, proc.stderr
    assert "local-running" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "lake" / "warehouse.duckdb").exists()
