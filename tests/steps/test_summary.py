"""The summary stage: sources ingested or skipped, layers, task phases, failures."""

import json
from pathlib import Path

from steps.replay.server import Fault, ReplayServer
from tests.conftest import StageEnv


def test_summary_of_an_ingest_with_one_failed_source(local_stage: StageEnv, replay_server: ReplayServer) -> None:
    assert local_stage.run("freshness", "--run-id", "r1").returncode == 0
    assert local_stage.run("ingest", "--source", "vn_provinces", "--run-id", "r1").returncode == 0
    replay_server.add_fault(Fault(path="/worldbank/", status=500))
    assert local_stage.run("ingest", "--source", "worldbank", "--run-id", "r1").returncode == 75

    proc = local_stage.run("summary", "--run-id", "r1")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("Run r1: FAILED")
    summary = json.loads((Path(local_stage.lake) / "reports/r1/summary.json").read_text())
    sources = {s["source"]: s for s in summary["sources"]}
    assert sources["vn_provinces"]["status"] == "succeeded"
    assert sources["vn_provinces"]["rows"] == {"provinces": 63, "districts": 696, "wards": 10051}
    assert sources["vn_provinces"]["pages"] == 1 and sources["vn_provinces"]["requests"] == 2
    assert sources["worldbank"]["status"] == "failed" and "HTTP 500" in sources["worldbank"]["error"]
    assert summary["failed_tasks"] == ["ingest-worldbank"]
    md = (Path(local_stage.lake) / "reports/r1/summary.md").read_text()
    assert "| vn_provinces | succeeded | provinces 63, districts 696, wards 10,051 |" in md


def test_summary_of_a_skipped_source_says_why(local_stage: StageEnv) -> None:
    assert local_stage.run("ingest", "--source", "worldbank", "--run-id", "r1").returncode == 0
    assert local_stage.run("freshness", "--run-id", "r2", "--sources", "worldbank").returncode == 0
    proc = local_stage.run("summary", "--run-id", "r2")
    summary = json.loads((Path(local_stage.lake) / "reports/r2/summary.json").read_text())
    assert summary["sources"][0]["status"] == "skipped"
    assert summary["sources"][0]["reason"].startswith("fresh: last ingest")
    assert {t["task"]: t["phase"] for t in summary["tasks"]}["ingest-worldbank"] == "Skipped"
    assert "fresh: last ingest" in proc.stdout


def test_runner_nodes_are_reported_as_argo_phases(local_stage: StageEnv, tmp_path: Path) -> None:
    nodes = [
        {"task": "verify", "phase": "Succeeded", "duration_s": 1.25, "attempts": 1, "exit_code": 0, "message": ""},
        {"task": "dbt-silver", "phase": "Omitted", "duration_s": 0, "attempts": 0, "exit_code": None, "message": ""},
    ]
    path = tmp_path / "nodes.json"
    path.write_text(json.dumps(nodes))
    proc = local_stage.run("summary", "--run-id", "r9", "--nodes", str(path))
    assert proc.returncode == 0
    assert "verify               Succeeded  1.2s" in proc.stdout or "verify      Succeeded  1.2s" in proc.stdout
    assert "Omitted" in proc.stdout
