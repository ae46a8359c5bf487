"""``python -m steps.ingest --source noaa`` through the replay server: year windows, 1-based pages, empty
answers, the token header, 5 requests per second and the daily quota kept in the lake."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from urllib.parse import parse_qs

import pyarrow.parquet as pq
import pytest

from tests.conftest import StageEnv
from tests.steps.sources.helpers import KEYS, NOAA_TOKEN, max_in_window, stage_result, watermarks, write_pipeline
from workflows.replay.providers import noaa as replay_noaa
from workflows.replay.server import Quota, ReplayServer


@pytest.fixture
def stage(tmp_path: Path, replay_server: ReplayServer) -> StageEnv:
    config = write_pipeline(tmp_path / "pipeline.yaml", replay_server, {"noaa": {}})
    replay_server.set_quota("noaa", Quota(()))  # no server limit and no client limit: fast; see the limit tests
    return StageEnv(lake=str(tmp_path / "lake"), config=config, extra=dict(KEYS))


def _expected(station: str, first: date, last: date) -> list[tuple[str, str, float]]:
    """(date, datatype, °C or mm) the replay serves for a station, TMAX/TMIN/PRCP, metric units."""
    out = []
    for year in range(first.year, last.year + 1):
        for day, datatype, tenths, _ in replay_noaa.station_year(station, year):
            if first <= day <= last and datatype in ("TMAX", "TMIN", "PRCP"):
                out.append((day.isoformat(), datatype, round(tenths / 10, 1)))
    return out


def test_windows_pages_missing_records_and_watermarks(stage: StageEnv, replay_server: ReplayServer) -> None:
    # 2023-03-01 .. 2025-01-03 is longer than a year: every station needs two windows
    write_pipeline(stage.config, replay_server, {"noaa": {"start_date": "2023-03-01"}})
    proc = stage.run("ingest", "--source", "noaa", "--run-id", "r1")
    assert proc.returncode == 0, proc.stderr
    lake = Path(stage.lake)
    data_requests = [parse_qs(r.query) for r in replay_server.requests if r.path.endswith("/data")]
    assert all(r.status == 200 for r in replay_server.requests)  # no "date range must be less than 1 year"
    windows = sorted({(q["startdate"][0], q["enddate"][0]) for q in data_requests})
    assert windows == [("2023-03-01", "2024-02-29"), ("2024-03-01", "2025-01-03")]
    assert {q["offset"][0] for q in data_requests} >= {"1", "201", "401"}  # offsets count from 1
    assert all(q["datatypeid"] == ["TMAX", "TMIN", "PRCP"] for q in data_requests)  # repeated parameter

    table = pq.read_table(next(lake.glob("bronze/noaa/observations/*/r1.parquet"))).to_pylist()
    last = replay_server.snapshot.toordinal() - replay_noaa.LAG_DAYS
    for station in ("GHCND:VM000048820", "GHCND:USW00013874"):
        expected = _expected(station, date(2023, 3, 1), date.fromordinal(last))
        got = sorted((r["date"].isoformat(), r["datatype"], r["value"]) for r in table if r["station"] == station)
        assert got == sorted(expected)
        days = {d for d, _, _ in expected}
        tmin_days = {d for d, t, _ in expected if t == "TMIN"}
        assert len(tmin_days) < len(days)  # missing TMIN records stay missing
    us = next(r for r in table if r["station"] == "GHCND:USW00013874")
    assert (us["sflag"], us["obs_time"], us["mflag"], us["units"]) == ("W", "2400", None, "metric")
    assert watermarks(lake, "noaa") == dict.fromkeys(
        ("GHCND:VM000048820", "GHCND:USW00013874"), date.fromordinal(last).isoformat()
    )
    # the token travels as a header, never in a URL
    assert not any("token" in r.query.lower() for r in replay_server.requests)
    assert NOAA_TOKEN not in (lake / "raw/noaa/observations/r1/_provenance.jsonl").read_text()


def test_an_empty_window_is_an_empty_object(stage: StageEnv, replay_server: ReplayServer) -> None:
    # the replay has no data after the snapshot: the answer is {} with no results nor metadata
    write_pipeline(stage.config, replay_server, {"noaa": {"start_date": "2025-06-01", "end_date": "2025-06-30"}})
    proc = stage.run("ingest", "--source", "noaa", "--run-id", "r1")
    assert proc.returncode == 0, proc.stderr
    manifest = json.loads((Path(stage.lake) / "bronze/noaa/_manifests/r1.json").read_text())
    assert manifest["datasets"]["observations"]["rows"] == 0
    assert all(s["api_total"] == 0 for s in manifest["streams"])


def test_missing_token_variable_exits_2_naming_it(stage: StageEnv) -> None:
    stage.extra.pop("NOAA_TOKEN")
    proc = stage.run("ingest", "--source", "noaa", "--run-id", "r1")
    assert proc.returncode == 2
    assert "environment variable NOAA_TOKEN is not set" in proc.stderr.strip().splitlines()[-1]


def test_rate_limit_is_respected_by_the_server_clock(stage: StageEnv, replay_server: ReplayServer) -> None:
    replay_server.reset_quotas()  # the published 5 per second and 10,000 per day per token
    write_pipeline(
        stage.config,
        replay_server,
        {
            "noaa": {
                "page_size": 50,
                "concurrency": 4,
                "start_date": "2024-09-01",
                "rate_limits": [{"requests": 5, "per_seconds": 1}],
                "daily_quota": 10000,
            }
        },
    )
    proc = stage.run("ingest", "--source", "noaa", "--run-id", "r1")
    assert proc.returncode == 0, proc.stderr
    times = [r.at for r in replay_server.requests if r.path.startswith("/noaa/")]
    assert len(times) >= 12
    assert max_in_window(times, 1.0) <= 5
    assert all(r.status == 200 for r in replay_server.requests)
    metrics = stage_result(Path(stage.lake), "r1", "ingest-noaa")["metrics"]
    assert metrics["quota"]["used"] == len(times) and metrics["quota"]["per_day"] == 10000


def test_daily_quota_survives_runs_and_stops_at_the_limit(stage: StageEnv, replay_server: ReplayServer) -> None:
    write_pipeline(stage.config, replay_server, {"noaa": {"page_size": 100, "daily_quota": 12}})
    first = stage.run("ingest", "--source", "noaa", "--run-id", "r1")
    assert first.returncode == 75
    line = first.stderr.strip().splitlines()[-1]
    assert "the daily quota of 12 requests is used up" in line and "it resets at" in line and "T00:00:00Z" in line
    assert len(replay_server.requests) == 12  # not one request beyond the quota
    quota_files = list((Path(stage.lake) / "state/_quota").glob("noaa-*.json"))
    assert len(quota_files) == 1 and json.loads(quota_files[0].read_text())["used"] == 12
    assert NOAA_TOKEN not in quota_files[0].name  # per token, named by a one-way fingerprint
    assert not (Path(stage.lake) / "state/noaa.json").exists()

    replay_server.clear_requests()
    second = stage.run("ingest", "--source", "noaa", "--run-id", "r2")
    assert second.returncode == 75 and replay_server.requests == []  # the same day: nothing left
