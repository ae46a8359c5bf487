"""Whole-run behaviour with the keyed sources: keys never land anywhere, and one source down does not sink the
others (its breaker opens, the summary shows it, its state is untouched)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import StageEnv
from tests.steps.sources.helpers import KEYS, lake_texts, stage_result, write_pipeline
from workflows.replay.server import Fault, Quota, ReplayServer


@pytest.fixture
def stage(tmp_path: Path, replay_server: ReplayServer) -> StageEnv:
    for provider in ("fred", "eia", "noaa"):
        replay_server.set_quota(provider, Quota(()))
    config = write_pipeline(tmp_path / "pipeline.yaml", replay_server, {"fred": {}, "eia": {}, "noaa": {}})
    env = {**KEYS, "TRIBUTARY_LOG_LEVEL": "DEBUG"}
    return StageEnv(lake=str(tmp_path / "lake"), config=config, extra=env)


def test_no_key_appears_in_the_lake_or_the_logs(stage: StageEnv, replay_server: ReplayServer) -> None:
    outputs = []
    for source in ("fred", "eia", "noaa"):
        proc = stage.run("ingest", "--source", source, "--run-id", "r1")
        assert proc.returncode == 0, proc.stderr
        outputs += [proc.stdout, proc.stderr]
    # a failing request whose error body echoes the key, as EIA's request echo does
    replay_server.add_fault(
        Fault(path="/eia/", status=400, body=json.dumps({"error": f"bad request for {KEYS['EIA_API_KEY']}"}))
    )
    failed = stage.run("ingest", "--source", "eia", "--run-id", "r2")
    assert failed.returncode == 2
    assert "***" in failed.stderr.strip().splitlines()[-1]
    outputs += [failed.stdout, failed.stderr]
    outputs.append(stage.run("summary", "--run-id", "r1").stdout)

    texts = lake_texts(Path(stage.lake))
    assert any(p.startswith("raw/eia/") for p in texts) and any(p.endswith(".parquet") for p in texts)
    for name, key in KEYS.items():
        leaks = [path for path, text in texts.items() if key in text]
        assert not leaks, f"{name} found in {leaks}"
        assert not [o for o in outputs if key in o], f"{name} found in the captured output"
    # the keys really were sent: the server saw them
    assert any(KEYS["FRED_API_KEY"] in r.query for r in replay_server.requests)


def test_one_source_down_the_others_complete_and_its_state_is_unchanged(
    stage: StageEnv, replay_server: ReplayServer, tmp_path: Path
) -> None:
    write_pipeline(
        stage.config,
        replay_server,
        {
            "worldbank": {},
            "fred": {"breaker": {"failures": 3}, "concurrency": 2},
            "noaa": {},
        },
    )
    sources = ("worldbank", "fred", "noaa")

    def run(run_id: str) -> dict[str, int]:
        assert stage.run("freshness", "--run-id", run_id, "--force", "true").returncode == 0
        codes = {s: stage.run("ingest", "--source", s, "--run-id", run_id).returncode for s in sources}
        assert stage.run("summary", "--run-id", run_id).returncode == 0
        return codes

    assert run("r1") == dict.fromkeys(sources, 0)
    lake = Path(stage.lake)
    fred_state = (lake / "state/fred.json").read_bytes()

    replay_server.add_fault(Fault(path="^/fred/", status=503))  # FRED is down
    replay_server.clear_requests()
    codes = run("r2")
    assert codes == {"worldbank": 0, "fred": 75, "noaa": 0}  # a non-zero task: the run fails
    fred_requests = [r for r in replay_server.requests if r.path.startswith("/fred/")]
    assert 3 <= len(fred_requests) <= 3 + 1  # the breaker stopped it (plus at most one request in flight)

    result = stage_result(lake, "r2", "ingest-fred")
    assert result["status"] == "failed" and result["exit_code"] == 75
    assert result["metrics"]["breaker"] == {"state": "open", "failures": 3}
    assert "circuit breaker open after 3 consecutive failed requests (last: HTTP 503" in result["error"]
    assert stage_result(lake, "r2", "ingest-noaa")["metrics"]["breaker"] == {"state": "closed", "failures": 0}

    summary = json.loads((lake / "reports/r2/summary.json").read_text())
    assert summary["status"] == "failed" and summary["failed_tasks"] == ["ingest-fred"]
    entries = {s["source"]: s for s in summary["sources"]}
    assert entries["worldbank"]["status"] == "succeeded" and entries["noaa"]["status"] == "succeeded"
    assert entries["fred"]["status"] == "failed" and "circuit breaker open" in entries["fred"]["error"]
    assert "circuit breaker open" in (lake / "reports/r2/summary.md").read_text()

    assert (lake / "state/fred.json").read_bytes() == fred_state
    assert not (lake / "bronze/fred/_manifests/r2.json").exists()
    assert not list(lake.glob("bronze/fred/*/*/r2.parquet"))
