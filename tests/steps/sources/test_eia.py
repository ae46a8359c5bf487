"""``python -m steps.ingest --source eia`` through the replay server: string totals, nulls, the echoed key."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.conftest import StageEnv
from tests.steps.sources.helpers import EIA_KEY, KEYS, max_in_window, stage_result, watermarks, write_pipeline
from workflows.replay.providers import eia as replay_eia
from workflows.replay.server import Quota, ReplayServer


@pytest.fixture
def stage(tmp_path: Path, replay_server: ReplayServer) -> StageEnv:
    config = write_pipeline(tmp_path / "pipeline.yaml", replay_server, {"eia": {}})
    replay_server.set_quota("eia", Quota(()))  # no server limit and no client limit: fast; see the last test
    return StageEnv(lake=str(tmp_path / "lake"), config=config, extra=dict(KEYS))


def test_pages_string_values_nulls_and_watermarks(stage: StageEnv, replay_server: ReplayServer) -> None:
    proc = stage.run("ingest", "--source", "eia", "--run-id", "r1")
    assert proc.returncode == 0, proc.stderr
    lake = Path(stage.lake)
    expected = {
        s: [(p, v) for p, v in replay_eia.series_values(s, "daily", replay_server.snapshot) if p >= "2024-06-01"]
        for s in ("RWTC", "RBRTE")
    }
    manifest = json.loads((lake / "bronze/eia/_manifests/r1.json").read_text())
    streams = {s["stream_id"]: (s["pages"], s["rows"], s["api_total"]) for s in manifest["streams"]}
    for series, rows in expected.items():
        assert streams[series] == (-(-len(rows) // 50), len(rows), len(rows))  # "total" arrives as a string
    table = pq.read_table(next(lake.glob("bronze/eia/observations/*/r1.parquet"))).to_pylist()
    got = {(r["series_id"], r["period"]): r for r in table}
    for series, rows in expected.items():
        for period, value in rows:
            row = got[(series, period)]
            assert row["value"] == (None if value is None else float(value))
            assert row["period_date"].isoformat() == period and row["units"] == "$/BBL"
    assert any(v is None for rows in expected.values() for _, v in rows)  # nulls are kept as nulls
    wti = got[("RWTC", expected["RWTC"][0][0])]
    assert wti["series_description"].startswith("Cushing, OK WTI")
    assert json.loads(wti["attributes"])["duoarea"] == "YCUOK"
    assert watermarks(lake, "eia") == {s: rows[-1][0] for s, rows in expected.items()}


def test_the_echoed_api_key_is_masked_in_raw_pages(stage: StageEnv) -> None:
    assert stage.run("ingest", "--source", "eia", "--run-id", "r1").returncode == 0
    folder = Path(stage.lake) / "raw/eia/observations/r1"
    pages = sorted(folder.glob("*.json.gz"))
    assert pages
    for page in pages:
        body = json.loads(gzip.decompress(page.read_bytes()))
        assert body["request"]["params"]["api_key"] == "***"
    provenance = [json.loads(line) for line in (folder / "_provenance.jsonl").open()]
    assert all(p["redacted"] for p in provenance)
    assert EIA_KEY not in (folder / "_provenance.jsonl").read_text()


def test_a_refused_parameter_is_one_clear_line(stage: StageEnv, replay_server: ReplayServer) -> None:
    write_pipeline(stage.config, replay_server, {"eia": {"facet": "colour"}})
    proc = stage.run("ingest", "--source", "eia", "--run-id", "r1")
    assert proc.returncode == 2
    line = proc.stderr.strip().splitlines()[-1]
    assert "of route petroleum/pri/spt (400: Invalid facet 'colour' provided." in line and "EIA refused series" in line


def test_an_invalid_key_is_a_configuration_error(stage: StageEnv) -> None:
    stage.extra["EIA_API_KEY"] = "short-key"
    proc = stage.run("ingest", "--source", "eia", "--run-id", "r1")
    assert proc.returncode == 2
    line = proc.stderr.strip().splitlines()[-1]
    assert "HTTP 403" in line and "API_KEY_INVALID" in line and "short-key" not in proc.stderr


def test_monthly_periods_and_a_lookback_in_periods(stage: StageEnv, replay_server: ReplayServer) -> None:
    write_pipeline(
        stage.config, replay_server, {"eia": {"frequency": "monthly", "start": "2023-01", "lookback_days": 40}}
    )
    assert stage.run("ingest", "--source", "eia", "--run-id", "r1").returncode == 0
    assert watermarks(Path(stage.lake), "eia") == {"RWTC": "2025-01", "RBRTE": "2025-01"}
    replay_server.clear_requests()
    assert stage.run("ingest", "--source", "eia", "--run-id", "r2").returncode == 0
    starts = {r.query.split("start=")[1].split("&")[0] for r in replay_server.requests}
    assert starts == {"2024-11"}  # 2025-01-01 minus 40 days falls in November


def test_rate_limit_is_respected_by_the_server_clock(stage: StageEnv, replay_server: ReplayServer) -> None:
    # The server enforces its published 5 per second (and 9,000 per hour) per key; so does the client.
    replay_server.reset_quotas()
    write_pipeline(
        stage.config,
        replay_server,
        {
            "eia": {
                "page_size": 10,
                "concurrency": 4,
                "start": "2024-10-01",
                "rate_limits": [{"requests": 5, "per_seconds": 1}],
            }
        },
    )
    proc = stage.run("ingest", "--source", "eia", "--run-id", "r1")
    assert proc.returncode == 0, proc.stderr
    times = [r.at for r in replay_server.requests if r.path.startswith("/eia/")]
    assert len(times) >= 12
    assert max_in_window(times, 1.0) <= 5
    assert all(r.status == 200 for r in replay_server.requests)
    assert stage_result(Path(stage.lake), "r1", "ingest-eia")["metrics"]["rate_limit"]["waits"] > 0
