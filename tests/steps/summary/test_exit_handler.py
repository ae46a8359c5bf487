"""The summary stage as the exit handler: the report's problems and freshness, metrics files, secrets masked."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import StageEnv
from tests.steps.summary.promtext import parse
from tests.steps.summary.webhook import WebhookReceiver

AWS_SECRET = "aws-secret-value-0123456789"
EIA_KEY = "eiakey0123456789abcdef"


def test_secrets_in_argo_messages_never_reach_the_report_or_the_webhook(local_stage: StageEnv) -> None:
    """The exit handler does not hold the sources' keys: a URL's key is masked by its shape, its own by value."""
    failures = [
        {
            "displayName": "ingest-eia",
            "templateName": "ingest",
            "phase": "Error",
            "message": f"pod failed: GET https://api.eia.gov/v2/series?api_key={EIA_KEY}&x=1 (s3 key {AWS_SECRET})",
        }
    ]
    with WebhookReceiver([204]) as hook:
        local_stage.extra.update(
            AWS_SECRET_ACCESS_KEY=AWS_SECRET,
            TRIBUTARY_WORKFLOW_STATUS="Error",
            TRIBUTARY_WORKFLOW_FAILURES=json.dumps(failures),
            TRIBUTARY_WEBHOOK_URL=hook.url("/hooks/very-secret-token"),
        )
        proc = local_stage.run("summary", "--run-id", "r1")
    assert proc.returncode == 0, proc.stderr
    (payload,) = hook.received
    assert payload["failures"][0]["lines"] == [
        "pod failed: GET https://api.eia.gov/v2/series?api_key=***&x=1 (s3 key ***)"
    ]
    report = Path(local_stage.lake) / "reports/r1"
    for text in (
        json.dumps(payload),
        proc.stdout,
        proc.stderr,
        (report / "summary.json").read_text(),
        (report / "summary.md").read_text(),
        (report / "index.html").read_text(),
    ):
        assert EIA_KEY not in text and AWS_SECRET not in text and "very-secret-token" not in text


def test_a_source_never_reached_is_listed_with_its_freshness(local_stage: StageEnv) -> None:
    """A run that stopped before freshness still lists every enabled source, and where each stands."""
    assert local_stage.run("ingest", "--source", "vn_provinces", "--run-id", "r0").returncode == 0
    local_stage.extra.update(TRIBUTARY_WORKFLOW_STATUS="Failed")
    proc = local_stage.run("summary", "--run-id", "r1")
    assert proc.returncode == 0, proc.stderr
    lake = Path(local_stage.lake)
    summary = json.loads((lake / "reports/r1/summary.json").read_text())
    assert [(s["source"], s["status"]) for s in summary["sources"]] == [
        ("worldbank", "not run"),
        ("vn_provinces", "not run"),
    ]
    freshness = {f["source"]: f for f in summary["freshness"]}
    assert freshness["worldbank"]["overdue"] is True and freshness["worldbank"]["last_success_at"] is None
    assert freshness["vn_provinces"]["overdue"] is False and freshness["vn_provinces"]["last_success_run"] == "r0"
    assert "vn_provinces  " in proc.stdout and "(r0)" in proc.stdout and "OVERDUE" in proc.stdout
    gauges = parse((lake / "reports/r1/metrics.prom").read_text())
    assert gauges.series("tributary_source_overdue") == {"worldbank": 1, "vn_provinces": 0}


def test_argo_outputs_and_artifacts_are_written_for_the_exit_handler(local_stage: StageEnv, tmp_path: Path) -> None:
    assert local_stage.run("ingest", "--source", "worldbank", "--run-id", "r0").returncode == 0
    outputs, report = tmp_path / "outputs", tmp_path / "report"
    local_stage.extra.update(TRIBUTARY_WORKFLOW_STATUS="Succeeded")
    proc = local_stage.run("summary", "--run-id", "r1", "--outputs", str(outputs), "--artifacts", str(report))
    assert proc.returncode == 0
    # the artifact folder: the report folder's pages, for Argo to upload (no gate ran: no Data Docs)
    assert sorted(p.name for p in report.iterdir()) == ["index.html", "summary.json", "summary.md"]
    assert (report / "index.html").read_bytes() == (Path(local_stage.lake) / "reports/r1/index.html").read_bytes()
    state = json.loads((Path(local_stage.lake) / "state/worldbank.json").read_text())
    from datetime import datetime

    finished = datetime.fromisoformat(state["last_success"]["finished_at"]).timestamp()
    written = {p.name: p.read_text() for p in outputs.iterdir()}
    assert float(written.pop("last-success-worldbank")) == finished
    assert written == {
        "max-age-worldbank": "2592000",
        "overdue-worldbank": "0",
        "last-success-vn_provinces": "0",
        "max-age-vn_provinces": "2592000",
        "overdue-vn_provinces": "1",
    }


def test_a_broken_configuration_or_textfile_still_gives_the_report(local_stage: StageEnv, tmp_path: Path) -> None:
    valid = local_stage.config.read_text()
    local_stage.config.write_text("sources: [not, a, mapping]\n")
    local_stage.extra.update(
        TRIBUTARY_WORKFLOW_STATUS="Failed", TRIBUTARY_METRICS_TEXTFILE=str(tmp_path / "no-such-dir" / "t.prom")
    )
    proc = local_stage.run("summary", "--run-id", "r1")
    assert proc.returncode == 0, proc.stderr
    assert "summary: no freshness section or metrics: config " in proc.stderr
    lake = Path(local_stage.lake)
    assert (lake / "reports/r1/summary.md").is_file() and not (lake / "reports/r1/metrics.prom").exists()
    local_stage.config.write_text(valid)
    proc = local_stage.run("summary", "--run-id", "r2")
    assert proc.returncode == 0, proc.stderr
    (line,) = [ln for ln in proc.stderr.splitlines() if ln.startswith("summary: metrics textfile ")]
    assert "no-such-dir/t.prom: No such file or directory. Fix: point TRIBUTARY_METRICS_TEXTFILE at" in line
    assert (lake / "reports/r2/metrics.prom").is_file()


def test_on_an_s3_lake_the_report_is_its_s3_uri(local_stage: StageEnv, s3_server: str, s3_bucket: str, s3) -> None:
    from tests.conftest import S3_KEYS

    local_stage.lake = f"s3://{s3_bucket}"
    local_stage.extra.update(S3_KEYS, TRIBUTARY_S3_ENDPOINT=s3_server, TRIBUTARY_S3_REGION="us-east-1")
    with WebhookReceiver([200]) as hook:
        local_stage.extra.update(TRIBUTARY_WORKFLOW_STATUS="Succeeded", TRIBUTARY_WEBHOOK_URL=hook.url())
        proc = local_stage.run("summary", "--run-id", "r1")
    assert proc.returncode == 0, proc.stderr
    (payload,) = hook.received
    assert payload["report"] == f"s3://{s3_bucket}/reports/r1/summary.md"
    assert payload["text"].endswith(f"Report: s3://{s3_bucket}/reports/r1/summary.md")
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=s3_bucket)["Contents"]}
    assert {"reports/r1/summary.md", "reports/r1/metrics.prom"} <= keys
    exported = s3.get_object(Bucket=s3_bucket, Key="reports/r1/metrics.prom")["Body"].read().decode()
    assert parse(exported).series("tributary_source_overdue") == {"worldbank": 1, "vn_provinces": 1}
    assert S3_KEYS["AWS_SECRET_ACCESS_KEY"] not in json.dumps(payload) + proc.stdout + proc.stderr
