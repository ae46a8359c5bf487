"""``python -m steps.ingest --source fred`` through the replay server: paging, ".", errors, limits, watermarks."""

from __future__ import annotations

import gzip
import json
from datetime import date
from pathlib import Path
from urllib.parse import parse_qsl

import pyarrow.parquet as pq
import pytest

from tests.conftest import StageEnv
from tests.steps.sources.helpers import KEYS, max_in_window, stage_result, state, watermarks, write_pipeline
from workflows.replay.providers import fred as replay_fred
from workflows.replay.server import Quota, ReplayServer, Window


@pytest.fixture
def stage(tmp_path: Path, replay_server: ReplayServer) -> StageEnv:
    config = write_pipeline(tmp_path / "pipeline.yaml", replay_server, {"fred": {}})
    replay_server.set_quota("fred", Quota(()))  # no server limit and no client limit: fast; see the limit tests
    return StageEnv(lake=str(tmp_path / "lake"), config=config, extra=dict(KEYS))


def _rows(lake: Path, dataset: str, run_id: str) -> list[dict[str, object]]:
    path = next(lake.glob(f"bronze/fred/{dataset}/*/{run_id}.parquet"))
    return pq.read_table(path).to_pylist()


def test_pages_missing_values_metadata_and_watermarks(stage: StageEnv, replay_server: ReplayServer) -> None:
    proc = stage.run("ingest", "--source", "fred", "--run-id", "r1")
    assert proc.returncode == 0, proc.stderr
    lake = Path(stage.lake)
    expected = {
        s: [(d, v) for d, v in replay_fred.observations(s, replay_server.snapshot) if d >= "2024-01-01"]
        for s in ("UNRATE", "DGS10")
    }
    manifest = json.loads((lake / "bronze/fred/_manifests/r1.json").read_text())
    streams = {s["stream_id"]: (s["pages"], s["rows"], s["api_total"]) for s in manifest["streams"]}
    daily = len(expected["DGS10"])
    assert daily > 200  # several pages of 100
    assert streams["DGS10"] == (-(-daily // 100), daily, daily)
    assert streams["UNRATE"] == (1, len(expected["UNRATE"]), len(expected["UNRATE"]))
    assert streams["UNRATE.series"] == (1, 1, 1)

    rows = _rows(lake, "observations", "r1")
    got = {(r["series_id"], r["date"].isoformat()): r["value"] for r in rows}
    for series, pairs in expected.items():
        for day, text in pairs:
            assert got[(series, day)] == (None if text == "." else float(text))
    holidays = [day for day, text in expected["DGS10"] if text == "."]
    assert holidays and all(got[("DGS10", d)] is None for d in holidays)  # "." is null, the date is kept

    series = {r["series_id"]: r for r in _rows(lake, "series", "r1")}
    assert series["UNRATE"]["units"] == "Percent" and series["DGS10"]["frequency_short"] == "D"
    assert series["UNRATE"]["last_updated"].isoformat() == "2025-01-03T12:46:02+00:00"  # "-05" read as UTC-5

    assert watermarks(lake, "fred") == {s: pairs[-1][0] for s, pairs in expected.items()}
    # the key travelled in every request but is masked in every stored URL
    provenance = (lake / "raw/fred/observations/r1/_provenance.jsonl").read_text()
    assert "api_key=%2A%2A%2A" in provenance and KEYS["FRED_API_KEY"] not in provenance
    assert all(f"api_key={KEYS['FRED_API_KEY']}" in r.query for r in replay_server.requests)


def test_incremental_run_resumes_at_watermark_minus_lookback(stage: StageEnv, replay_server: ReplayServer) -> None:
    assert stage.run("ingest", "--source", "fred", "--run-id", "r1").returncode == 0
    first = watermarks(Path(stage.lake), "fred")
    replay_server.snapshot = date(2025, 3, 1)  # two months later: new observations, recent ones revised
    replay_server.clear_requests()
    assert stage.run("ingest", "--source", "fred", "--run-id", "r2").returncode == 0
    queries = [dict(parse_qsl(r.query)) for r in replay_server.requests if r.path.endswith("/observations")]
    starts = {q["series_id"]: q for q in queries}
    # lookback_days: 60 before the watermark
    expected_start = date.fromordinal(date.fromisoformat(first["DGS10"]).toordinal() - 60).isoformat()
    assert starts["DGS10"]["observation_start"] == expected_start
    second = watermarks(Path(stage.lake), "fred")
    assert second["DGS10"] > first["DGS10"] and second["UNRATE"] > first["UNRATE"]
    rows = _rows(Path(stage.lake), "observations", "r2")
    assert min(r["date"] for r in rows if r["series_id"] == "DGS10").isoformat() == starts["DGS10"]["observation_start"]


def test_backfill_reingests_a_range_without_moving_the_watermark_or_other_state(
    stage: StageEnv, replay_server: ReplayServer, tmp_path: Path
) -> None:
    write_pipeline(stage.config, replay_server, {"fred": {}, "vn_provinces": {}})
    assert stage.run("ingest", "--source", "fred", "--run-id", "r1").returncode == 0
    assert stage.run("ingest", "--source", "vn_provinces", "--run-id", "r1").returncode == 0
    lake = Path(stage.lake)
    other = (lake / "state/vn_provinces.json").read_bytes()
    before = state(lake, "fred")
    proc = stage.run("ingest", "--source", "fred", "--run-id", "bf1", "--backfill", "2020-01-01:2020-12-31")
    assert proc.returncode == 0, proc.stderr
    rows = _rows(lake, "observations", "bf1")
    assert {r["date"].year for r in rows} == {2020}
    after = state(lake, "fred")
    assert after["last_success"] == before["last_success"]  # freshness still measures the regular ingest
    assert after["history"][0]["run_id"] == "bf1" and after["history"][0]["backfill"] == "2020-01-01:2020-12-31"
    assert watermarks(lake, "fred") == {
        k: v["value"] for k, v in before["history"][0]["checkpoint"]["watermarks"].items()
    }
    assert (lake / "state/vn_provinces.json").read_bytes() == other
    assert stage_result(lake, "bf1", "ingest-fred")["metrics"]["backfill"] == "2020-01-01:2020-12-31"


def test_unknown_series_is_one_clear_line_exit_2(stage: StageEnv, replay_server: ReplayServer) -> None:
    write_pipeline(stage.config, replay_server, {"fred": {"series": ["UNRATE", "NOSUCH"]}})
    proc = stage.run("ingest", "--source", "fred", "--run-id", "r1")
    assert proc.returncode == 2
    line = proc.stderr.strip().splitlines()[-1]
    assert "FRED refused series 'NOSUCH' (400: Bad Request. The series does not exist.)" in line
    assert not list(Path(stage.lake).glob("state/*.json"))
    # the error page is kept raw, like any page, with its status
    kept = list(Path(stage.lake).glob("raw/fred/observations/r1/NOSUCH-p00001.json.gz"))
    assert not kept or b"does not exist" in gzip.decompress(kept[0].read_bytes())


def test_missing_key_variable_exits_2_naming_it(stage: StageEnv) -> None:
    stage.extra.pop("FRED_API_KEY")
    proc = stage.run("ingest", "--source", "fred", "--run-id", "r1")
    assert proc.returncode == 2
    assert "environment variable FRED_API_KEY is not set" in proc.stderr.strip().splitlines()[-1]


def test_refused_key_is_a_configuration_error(stage: StageEnv) -> None:
    stage.extra["FRED_API_KEY"] = "NOT-A-FRED-KEY"
    proc = stage.run("ingest", "--source", "fred", "--run-id", "r1")
    assert proc.returncode == 2
    line = proc.stderr.strip().splitlines()[-1]
    assert "FRED refused the API key" in line and "not a 32 character" in line
    assert "NOT-A-FRED-KEY" not in proc.stderr


def test_rate_limit_is_respected_by_the_server_clock(stage: StageEnv, replay_server: ReplayServer) -> None:
    # FRED's 120/min scaled down to 6 per 2 s so the test takes seconds; client and server share the figure.
    replay_server.set_quota("fred", Quota((Window(6, 2.0),)))
    write_pipeline(
        stage.config,
        replay_server,
        {
            "fred": {
                "series": ["DGS10"],
                "page_size": 20,
                "concurrency": 4,
                "rate_limits": [{"requests": 6, "per_seconds": 2}],
            }
        },
    )
    proc = stage.run("ingest", "--source", "fred", "--run-id", "r1")
    assert proc.returncode == 0, proc.stderr
    times = [r.at for r in replay_server.requests if r.path.startswith("/fred/")]
    assert len(times) >= 14
    assert max_in_window(times, 2.0) <= 6
    assert all(r.status != 429 for r in replay_server.requests)
    metrics = stage_result(Path(stage.lake), "r1", "ingest-fred")["metrics"]
    assert metrics["rate_limit"]["limits"] == ["6/2s"] and metrics["rate_limit"]["waits"] > 0


def test_without_a_limiter_the_server_answers_429(stage: StageEnv, replay_server: ReplayServer) -> None:
    # The control for the test above: the same burst with no client-side limit runs into the server's quota.
    replay_server.set_quota("fred", Quota((Window(3, 1.0),)))
    write_pipeline(stage.config, replay_server, {"fred": {"series": ["DGS10"], "page_size": 50, "concurrency": 4}})
    proc = stage.run("ingest", "--source", "fred", "--run-id", "r1")
    assert 429 in [r.status for r in replay_server.requests]
    assert proc.returncode == 75
    assert "(last: HTTP 429)" in proc.stderr.strip().splitlines()[-1]
