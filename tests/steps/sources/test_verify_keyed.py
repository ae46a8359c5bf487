"""The verify stage probes the keyed sources with their credentials (the source's prepare() adds them)."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import StageEnv
from tests.steps.sources.helpers import KEYS, write_pipeline
from workflows.replay.server import Quota, ReplayServer


def test_keyed_sources_verify_and_a_missing_key_is_named(tmp_path: Path, replay_server: ReplayServer) -> None:
    for provider in ("fred", "eia", "noaa"):
        replay_server.set_quota(provider, Quota(()))
    config = write_pipeline(tmp_path / "pipeline.yaml", replay_server, {"fred": {}, "eia": {}, "noaa": {}})
    stage = StageEnv(lake=str(tmp_path / "lake"), config=config, extra={**KEYS, "TRIBUTARY_TARGET": "local"})
    proc = stage.run("verify", "--run-id", "r1")
    assert proc.returncode == 0, proc.stderr
    assert {r.path.split("/")[1] for r in replay_server.requests} == {"fred", "eia", "noaa"}

    stage.extra.pop("NOAA_TOKEN")
    proc = stage.run("verify", "--run-id", "r2")
    assert proc.returncode == 2
    assert "verify: source noaa: noaa: environment variable NOAA_TOKEN is not set" in proc.stderr
    assert all(k not in proc.stderr for k in KEYS.values())
