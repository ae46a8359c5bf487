"""A page whose body does not parse: requested again, and bad input only when it keeps coming back broken."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from tests.conftest import StageEnv
from workflows.replay.server import Fault, ReplayServer


def test_malformed_page_once_is_retried(local_stage: StageEnv, replay_server: ReplayServer) -> None:
    replay_server.add_fault(Fault(path="NY.GDP", body='[{"page":1,', times=1))
    proc = local_stage.run("ingest", "--source", "worldbank", "--run-id", "r1")
    assert proc.returncode == 0, proc.stderr[-2000:]
    manifest = json.loads((Path(local_stage.lake) / "bronze/worldbank/_manifests/r1.json").read_text())
    assert manifest["datasets"]["indicator_values"]["rows"] == 33
    assert manifest["retries"] >= 1
    pages = list((Path(local_stage.lake) / "raw/worldbank").rglob("*NY.GDP*.json.gz"))
    assert pages and all(json.loads(gzip.decompress(p.read_bytes())) for p in pages)  # the good body is kept


def test_malformed_page_every_time_is_bad_input(local_stage: StageEnv, replay_server: ReplayServer) -> None:
    replay_server.add_fault(Fault(path="NY.GDP", body='[{"page":1,'))
    proc = local_stage.run("ingest", "--source", "worldbank", "--run-id", "r1")
    assert proc.returncode == 2, proc.stderr[-2000:]
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("ingest-worldbank: worldbank: GET http://127.0.0.1:")
    assert "NY.GDP.MKTP.CD" in last and "returned a malformed body 3 times" in last and ". Fix: " in last
    assert not (Path(local_stage.lake) / "state/worldbank.json").exists()
