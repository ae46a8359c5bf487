"""Retention on a lake of 24 monthly runs: pruned to the policy, a rebuild gives the same gold.

The lake is built honestly and fast: each "month" is a real forced ingest of both replayed sources through the
ingest stage (the provinces API switches to its post-reform snapshot in month 13), and the warehouse is built by
the dbt stage after month 12 and month 24, the months after which the sources' data had changed (the other months
redeliver the same rows, so a build after them changes nothing). Ages need time: ``--as-of`` judges the lake as on
a date far enough ahead for every age rule to apply, so ``keep_runs`` and the protections decide.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

from steps.dbt.committed import deliveries
from steps.lake import Lake
from tests.cli import REPO, clean_env, tributary
from tests.conftest import S3_KEYS, StageEnv, s3_referee, write_config
from tests.faults.proxy import CuttingProxy
from workflows.replay.server import POST_REFORM_SNAPSHOT, PRE_REFORM_SNAPSHOT, ReplayServer

pytestmark = pytest.mark.e2e

MONTHS = [f"month-{2025 + (i - 1) // 12}-{(i - 1) % 12 + 1:02d}" for i in range(1, 25)]
SOURCES = ("worldbank", "vn_provinces")
AS_OF = (datetime.now(UTC) + timedelta(days=400)).date().isoformat()
POLICY = {"bronze": {"keep_runs": 6}}  # the others: the packaged defaults (raw 90 d / 3, reports 180 d / 12)
STAMPED = ("TIMESTAMP", "TIMESTAMP WITH TIME ZONE")  # build and replay clocks, not data
BUILD_KEYS = ("location_version_id", "dbt_scd_id")  # hashes of a version's timestamps


@pytest.fixture(scope="module")
def monthly(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A lake of 24 monthly forced ingests of World Bank and the provinces, its warehouse built as it went."""
    root = tmp_path_factory.mktemp("monthly")
    with ReplayServer(snapshot=PRE_REFORM_SNAPSHOT) as pre, ReplayServer(snapshot=POST_REFORM_SNAPSHOT) as post:
        for i, run_id in enumerate(MONTHS, 1):
            server = pre if i <= 12 else post
            stages = _stages(root, write_config(root / f"pipeline-{i}.yaml", server))
            running = [_start(stages, "ingest", "--source", s, "--run-id", run_id) for s in SOURCES]
            for proc in running:
                _out, err = proc.communicate(timeout=300)
                assert proc.returncode == 0, err[-2000:]
            if i in (12, 24):
                for layer in ("silver", "gold"):
                    done = stages.run("dbt", "--layer", layer, "--run-id", run_id, "--force", "true")
                    assert done.returncode == 0, done.stderr[-2000:]
    config = yaml.safe_load((root / "pipeline-24.yaml").read_text())
    (root / "pipeline.yaml").write_text(yaml.safe_dump({**config, "retention": POLICY}))
    return root


def _stages(root: Path, config: Path) -> StageEnv:
    return StageEnv(lake=str(root / "lake"), config=config, extra={"TRIBUTARY_DBT_PROJECT_DIR": str(REPO / "dbt")})


def _start(stages: StageEnv, module: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", f"steps.{module}", *args],
        env=stages.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )


def _copy(monthly: Path, to: Path) -> Path:
    shutil.copytree(monthly / "lake", to, ignore=shutil.ignore_patterns(".runs", "_lock"))
    return to


def _prune(lake: Path | str, config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return tributary("prune", "--lake", str(lake), "--config", str(config), "--as-of", AS_OF, *args)


def _listing(lake: Path) -> dict[str, int]:
    """Every file of a folder lake with its size, the lock's file aside (a run holding the lake writes it)."""
    files = {str(p.relative_to(lake)): p.stat().st_size for p in lake.rglob("*") if p.is_file()}
    return {path: size for path, size in files.items() if not path.startswith("_lock/")}


def gold(warehouse: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every gold table's rows without the columns a build or replay stamps with its own clock, sorted."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        columns = con.execute(
            "select table_name, column_name, data_type from information_schema.columns "
            "where table_schema = 'gold' order by table_name, ordinal_position"
        ).fetchall()
        tables: dict[str, list[str]] = {}
        for table, column, kind in columns:
            if kind not in STAMPED and column not in BUILD_KEYS:
                tables.setdefault(table, []).append(f'"{column}"')
        return {
            t: sorted(con.execute(f'select {", ".join(cols)} from gold."{t}"').fetchall(), key=repr)
            for t, cols in tables.items()
        }


def test_a_dry_run_deletes_nothing_and_says_what_would_go(monthly: Path, tmp_path: Path) -> None:
    lake = _copy(monthly, tmp_path / "lake")
    before = _listing(lake)
    proc = _prune(lake, monthly / "pipeline.yaml", "--dry-run")
    assert proc.returncode == 0, proc.stderr
    assert _listing(lake) == before
    print(proc.stdout)  # the report quotes it
    lines = proc.stdout.splitlines()
    assert lines[0].startswith(f"prune as of {AS_OF}") and "dry run: nothing deleted" in lines[0]
    raw = next(line for line in lines if line.startswith("raw "))
    assert raw.split()[1] == "42"  # 21 of 24 runs of each source
    assert "month-2025-01" in raw and "month-2026-09" in raw
    assert any(line.startswith("total: would remove ") for line in lines)


def test_24_months_pruned_to_the_policy_rebuild_to_the_same_gold(monthly: Path, tmp_path: Path) -> None:
    lake = _copy(monthly, tmp_path / "lake")
    proc = _prune(lake, monthly / "pipeline.yaml", "--json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    print(json.dumps({a: {k: v for k, v in d.items() if k != "objects"} for a, d in doc["areas"].items()}, indent=1))
    assert {a: d["units"] for a, d in doc["areas"].items()} == {"raw": 42, "bronze": 35, "reports": 12, "quarantine": 0}
    # month 12 is the last pre-reform delivery of the provinces: its rows differ from month 13's, a rebuild needs it
    assert doc["kept_by_protection"] == {"a rebuild needs it (its rows differ from the next delivery's)": 1}
    for area, d in doc["areas"].items():
        assert d["bytes_after"] == d["bytes_before"] - d["bytes"], area
    assert doc["areas"]["reports"]["bytes_after"] < doc["areas"]["reports"]["bytes_before"]

    left = {s: [d.run_id for d in deliveries(Lake(str(lake)), [s])] for s in SOURCES}
    assert left == {"worldbank": MONTHS[18:], "vn_provinces": [MONTHS[11], *MONTHS[18:]]}
    assert (
        sorted(p.name for p in (lake / "raw/worldbank/indicator_values").iterdir() if any(p.rglob("*.*")))
        == MONTHS[21:]
    )
    for source in SOURCES:  # what a committed reader reads is all there
        for delivery in deliveries(Lake(str(lake)), [source]):
            assert all((lake / f.path).stat().st_size == f.bytes for f in delivery.files)

    again = _prune(lake, monthly / "pipeline.yaml", "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["total_bytes"] == 0  # idempotent

    env = {"TRIBUTARY_CONFIG": str(monthly / "pipeline.yaml")}
    rebuilt = tributary("rebuild", "--lake", str(lake), "--config", str(monthly / "pipeline.yaml"), env=env)
    assert rebuilt.returncode == 0, rebuilt.stderr[-3000:]
    expected, actual = gold(monthly / "lake/warehouse.duckdb"), gold(lake / "warehouse.duckdb")
    assert set(actual) == set(expected) and all(actual[t] for t in actual)
    for table in expected:
        assert actual[table] == expected[table], table


def test_a_running_run_holds_the_lake_and_its_uncommitted_files_are_never_candidates(
    monthly: Path, tmp_path: Path
) -> None:
    lake = _copy(monthly, tmp_path / "lake")
    running = "month-2027-01"
    pages = lake / f"raw/worldbank/indicator_values/{running}/page-1.json.gz"
    pages.parent.mkdir(parents=True)
    pages.write_bytes(b"in progress")
    published = lake / f"bronze/worldbank/indicator_values/ingest_date=2020-01-01/{running}.parquet"
    published.parent.mkdir(parents=True)
    published.write_bytes(b"published, not yet committed")
    os.utime(pages, (0, 0))  # as old as can be: only the missing manifest protects them
    os.utime(published, (0, 0))
    before = _listing(lake)

    # while a run holds the lake's lock, prune waits, then gives up with exit 75 and deletes nothing
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD_LOCK, str(lake)], stdout=subprocess.PIPE, text=True, env=clean_env()
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        busy = _prune(lake, monthly / "pipeline.yaml", "--wait-lock", "0")
    finally:
        holder.kill()
        holder.wait()
    assert busy.returncode == 75, busy.stderr
    assert "is in use by" in busy.stderr
    assert _listing(lake) == before

    done = _prune(lake, monthly / "pipeline.yaml")
    assert done.returncode == 0, done.stderr
    assert pages.exists() and published.exists()


_HOLD_LOCK = """
import sys, time
from workflows.local.lakelock import FolderLock
from workflows.local.owner import Owner
from pathlib import Path
lock = FolderLock(Path(sys.argv[1]), Owner(run_id="month-2027-01"))
assert lock.try_acquire() is None
print("held", flush=True)
time.sleep(600)
"""


def test_a_prune_killed_mid_way_on_s3_leaves_a_lake_every_reader_reads(
    monthly: Path, tmp_path: Path, s3_server: str
) -> None:
    bucket = "pruned-lake"
    referee = s3_referee(s3_server)
    referee.create_bucket(Bucket=bucket)
    source = monthly / "lake"
    for path in source.rglob("*"):
        rel = path.relative_to(source).as_posix()
        if path.is_file() and not rel.startswith((".runs/", "_lock/", "warehouse.duckdb")):
            referee.upload_file(str(path), bucket, rel)
    env = {
        **S3_KEYS,
        "TRIBUTARY_LAKE": f"s3://{bucket}",
        "TRIBUTARY_S3_REGION": "us-east-1",
        "TRIBUTARY_CONFIG": str(monthly / "pipeline.yaml"),
    }
    args = [sys.executable, "-m", "steps.prune", "--as-of", AS_OF]
    # held: the first deletion of a World Bank bronze file, after the manifest naming it was deleted
    with CuttingProxy(s3_server, f"DELETE /{bucket}/bronze/worldbank/indicator_values/".encode(), hold=True) as proxy:
        proc = subprocess.Popen([*args], env=clean_env({**env, "TRIBUTARY_S3_ENDPOINT": proxy.url}), cwd=REPO,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
        try:
            assert proxy.held.wait(timeout=300), "the prune never deleted a World Bank bronze file"
        finally:
            os.kill(proc.pid, signal.SIGKILL)
            proc.communicate()
    os.environ.update(S3_KEYS)  # the lake's client reads the standard variables
    try:
        lake = Lake(f"s3://{bucket}", s3_endpoint=s3_server, s3_region="us-east-1")
        committed = deliveries(lake, list(SOURCES))
        assert MONTHS[0] not in {d.run_id for d in committed if d.source == "worldbank"}  # its manifest went first
        assert referee.list_objects_v2(Bucket=bucket, Prefix="bronze/worldbank/indicator_values/ingest_date")[
            "KeyCount"
        ]
        for delivery in committed:  # every file a manifest names is there, whole
            for f in delivery.files:
                assert lake.size(f.path) == f.bytes, f.path
        finish = subprocess.run(args, env=clean_env({**env, "TRIBUTARY_S3_ENDPOINT": s3_server}), cwd=REPO,
                                capture_output=True, text=True, timeout=300, check=False)  # fmt: skip
        assert finish.returncode == 0, finish.stderr
        left = {s: [d.run_id for d in deliveries(lake, [s])] for s in SOURCES}
        assert left == {"worldbank": MONTHS[18:], "vn_provinces": [MONTHS[11], *MONTHS[18:]]}
    finally:
        for key in S3_KEYS:
            os.environ.pop(key, None)
