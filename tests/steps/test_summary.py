"""The summary stage: sources ingested or skipped, layers, task phases, failures."""

import json
from pathlib import Path

from tests.conftest import StageEnv
from tests.steps.summary.webhook import WebhookReceiver
from workflows.replay.server import Fault, ReplayServer


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


def test_exit_handler_records_argo_verdict_failures_and_notifies(local_stage: StageEnv) -> None:
    assert local_stage.run("freshness", "--run-id", "r1").returncode == 0
    failures = [
        {
            "displayName": "dbt-gold",
            "message": "OOMKilled (exit code 137)",
            "templateName": "dbt",
            "phase": "Failed",
            "podName": "p",
            "finishedAt": "2026-11-23T00:00:00Z",
        }
    ]
    local_stage.extra.update(
        TRIBUTARY_WORKFLOW_STATUS="Failed",
        TRIBUTARY_WORKFLOW_FAILURES=json.dumps(failures),
    )
    with WebhookReceiver((204,)) as hook:
        local_stage.extra["TRIBUTARY_WEBHOOK_URL"] = hook.url("/hook?token=s3cr3t-token")
        proc = local_stage.run("summary", "--run-id", "r1")
    received = hook.received
    assert proc.returncode == 0, proc.stderr
    lake = Path(local_stage.lake)
    (payload,) = received
    assert {k: payload[k] for k in ("run_id", "status", "failed_tasks", "report")} == {
        "run_id": "r1",
        "status": "failed",
        "failed_tasks": ["dbt-gold"],
        "report": str(lake / "reports/r1/summary.md"),
    }
    assert payload["failures"][0]["lines"] == ["OOMKilled (exit code 137)"]
    assert "*dbt-gold* (Failed)\n• OOMKilled (exit code 137)" in payload["text"]
    result = json.loads((lake / "reports/r1/stages/on-exit.json").read_text())
    assert result["metrics"] == {"status": "failed", "notified": True}
    assert "OOMKilled" in (lake / "reports/r1/summary.md").read_text()
    assert "s3cr3t-token" not in proc.stderr


def test_a_broken_webhook_does_not_fail_the_run(local_stage: StageEnv) -> None:
    local_stage.extra.update(TRIBUTARY_WORKFLOW_STATUS="Succeeded", TRIBUTARY_WEBHOOK_URL="http://127.0.0.1:9/nowhere")
    proc = local_stage.run("summary", "--run-id", "r1")
    assert proc.returncode == 0 and "webhook notification failed" in proc.stderr
