"""``tributary run`` with a webhook: the receiver gets what a person needs to act, whatever the webhook does.

The receiver is a real HTTP server in the test (tests/steps/summary/webhook.py); the sources are the replay
server, broken the way real APIs break (a refused key, a closed port, a page with an impossible value).
"""

from __future__ import annotations

import json
import subprocess
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from tests.cli import tributary
from tests.conftest import REPO, write_config
from tests.steps.summary.promtext import parse
from tests.steps.summary.webhook import WebhookReceiver
from workflows.replay.server import Fault, ReplayServer

pytestmark = pytest.mark.e2e

FRED_KEY = "abcdef0123456789abcdef0123456789"  # a key of FRED's shape; it must never leave the pipeline
HOOK_TOKEN = "B0SECRET/xoxtoken42"  # the webhook URL's secret part (Slack puts it in the path)


def _run(tmp_path: Path, config: Path, run_id: str, **env: str) -> subprocess.CompletedProcess[str]:
    lake = tmp_path / "lake"
    args = ("run", "--lake", str(lake), "--config", str(config), "--run-id", run_id)
    return tributary(*args, env={"PYTHONPATH": str(REPO), **env}, timeout=600)


@pytest.fixture
def verify_fails(tmp_path: Path, replay_server: ReplayServer) -> Path:
    """FRED refuses the key (HTTP 403: exit 2, never retried) and the provinces API's port is closed."""
    config = write_config(tmp_path / "pipeline.yaml", replay_server)
    doc = yaml.safe_load(config.read_text())
    doc["sources"]["vn_provinces"]["base_url"] = "http://127.0.0.1:9/provinces"
    doc["sources"]["fred"] = {"base_url": replay_server.base_url("fred"), "series": ["GDP"], "start_date": "2020-01-01"}
    config.write_text(yaml.safe_dump(doc))
    replay_server.add_fault(Fault(path="/fred/", status=403))
    return config


def test_a_failing_verify_reaches_the_webhook_with_every_problem(tmp_path: Path, verify_fails: Path) -> None:
    with WebhookReceiver([200]) as hook:
        proc = _run(
            tmp_path,
            verify_fails,
            "verify-fails",
            FRED_API_KEY=FRED_KEY,
            TRIBUTARY_WEBHOOK_URL=hook.url(f"/services/T0/{HOOK_TOKEN}"),
        )
    assert proc.returncode == 2, proc.stderr[-3000:]
    (payload,) = hook.received
    lake = tmp_path / "lake"
    assert payload["run_id"] == "verify-fails" and payload["status"] == "failed"
    assert payload["failed_tasks"] == ["verify"]
    assert payload["report"] == str(lake / "reports/verify-fails/summary.md")
    assert Path(payload["report"]).is_file()
    (failure,) = payload["failures"]
    assert failure["task"] == "verify" and failure["exit_code"] == 2
    by_check = {line.split(": ")[0]: line for line in failure["lines"]}
    assert sorted(by_check) == ["source fred", "source vn_provinces"]
    assert "HTTP 403" in by_check["source fred"] and "api_key=***" in by_check["source fred"]
    assert "127.0.0.1:9/provinces" in by_check["source vn_provinces"]
    assert {(s["source"], s["outcome"]) for s in payload["sources"]} == {
        ("worldbank", "not run"),
        ("vn_provinces", "not run"),
        ("fred", "not run"),
    }
    text = payload["text"]
    assert text.startswith("*Tributary run `verify-fails` FAILED*\n*verify* (Failed, exit 2)\n• source ")
    assert f"Report: {lake}/reports/verify-fails/summary.md" in text
    everything = json.dumps(payload) + proc.stdout + proc.stderr
    assert FRED_KEY not in everything and HOOK_TOKEN not in everything
    # The report shows the problems too, not "see the lines above".
    report = (lake / "reports/verify-fails/summary.md").read_text()
    problems = report.split("## Problems", 1)[1].split("## Sources", 1)[0]
    assert "**verify (Failed, exit 2)**" in problems
    recorded = json.loads((lake / "reports/verify-fails/summary.json").read_text())["problems"][0]["lines"]
    assert len(recorded) == 2 and all(f"- {line}" in problems for line in recorded)


def test_a_webhook_that_never_answers_changes_nothing_about_the_run(tmp_path: Path, verify_fails: Path) -> None:
    without = _run(tmp_path, verify_fails, "no-hook", FRED_API_KEY=FRED_KEY)
    with WebhookReceiver(hang=True) as hook:
        started = time.monotonic()
        hung = _run(
            tmp_path,
            verify_fails,
            "hung-hook",
            FRED_API_KEY=FRED_KEY,
            TRIBUTARY_WEBHOOK_URL=hook.url(),
            TRIBUTARY_WEBHOOK_TIMEOUT_S="1",
        )
        elapsed = time.monotonic() - started
    assert hung.returncode == without.returncode == 2
    assert len(hook.received) == 3  # every attempt reached it; none was answered
    assert elapsed < 120
    lake = tmp_path / "lake"
    result = json.loads((lake / "reports/hung-hook/stages/on-exit.json").read_text())
    assert result["status"] == "succeeded" and result["exit_code"] == 0
    assert result["metrics"]["notified"] is False and "timed out" in result["metrics"]["notify_problem"]
    assert (lake / "reports/hung-hook/summary.md").is_file()
    assert "✓ onExit" in hung.stderr


def _gdp_page_with_a_negative_value(server: ReplayServer) -> str:
    """The World Bank's GDP page as the replay serves it, with 2019's GDP made negative."""
    page = requests.get(
        f"{server.base_url('worldbank')}/country/VN/indicator/NY.GDP.MKTP.CD",
        params={"format": "json", "per_page": 1000, "date": "2014:2024"},
        timeout=10,
    ).json()
    (row,) = [r for r in page[1] if r["date"] == "2019"]
    row["value"] = -1.5
    return json.dumps(page)


def test_a_failing_gate_reaches_the_webhook_with_the_expectation_and_its_values(
    tmp_path: Path, replay_server: ReplayServer
) -> None:
    config = write_config(tmp_path / "pipeline.yaml", replay_server)
    replay_server.add_fault(
        Fault(path=r"indicator/NY\.GDP\.MKTP\.CD", body=_gdp_page_with_a_negative_value(replay_server))
    )
    textfile = tmp_path / "textfile-collector" / "tributary.prom"
    textfile.parent.mkdir()
    with WebhookReceiver([500, 500, 200]) as hook:
        proc = _run(
            tmp_path,
            config,
            "gate-fails",
            TRIBUTARY_WEBHOOK_URL=hook.url(),
            TRIBUTARY_METRICS_TEXTFILE=str(textfile),
        )
    assert proc.returncode != 0, proc.stderr[-3000:]
    assert len(hook.received) == 3 and hook.received[0] == hook.received[2]  # retried after two 500s, same payload
    payload: dict[str, Any] = hook.received[-1]
    # worldbank is held back (vn_provinces is built and published), then the last task fails the run
    assert payload["failed_tasks"] == ["held-back"]
    (failure,) = payload["failures"]
    assert failure["task"] == "held-back" and failure["exit_code"] == 2
    assert failure["lines"][0] == (
        "worldbank.indicator_values: expect_column_values_to_be_between(value) 1 unexpected [-1.5]"
        " at country_iso3/indicator_id/year [VNM/NY.GDP.MKTP.CD/2019]"
    )
    (expectation,) = failure["expectations"]
    assert expectation["expectation"] == "expect_column_values_to_be_between"
    assert expectation["columns"] == ["value"] and expectation["sample"] == [-1.5]
    sources = {s["source"]: s for s in payload["sources"]}
    assert sources["worldbank"]["outcome"] == "rejected"
    assert sources["vn_provinces"] == {
        "source": "vn_provinces",
        "outcome": "ingested",
        "rows": 10_810,
        "detail": "ingested 10,810 rows",
    }
    assert "*held-back* (Failed, exit 2)\n• worldbank.indicator_values: " in payload["text"]
    assert "\n→ Fix: the rejected batches are in quarantine/worldbank/gate-fails/ " in payload["text"]
    assert "Sources: worldbank rejected; vn_provinces ingested 10,810 rows" in payload["text"]
    assert payload["overdue"] == ["worldbank"]  # rejected: its state was rolled back, it has no data

    # The freshness gauges say what the lake says: the rejected source never succeeded, the other one did.
    lake = tmp_path / "lake"
    exported = (lake / "reports/gate-fails/metrics.prom").read_text()
    assert textfile.read_text() == exported
    gauges = parse(exported)
    state = json.loads((lake / "state/vn_provinces.json").read_text())
    assert (
        not (lake / "state/worldbank.json").exists()
        or json.loads((lake / "state/worldbank.json").read_text())["last_success"] is None
    )
    finished = datetime.fromisoformat(state["last_success"]["finished_at"]).timestamp()
    assert gauges.series("tributary_source_last_success_timestamp_seconds") == {
        "worldbank": 0,
        "vn_provinces": finished,
    }
    assert gauges.series("tributary_source_max_age_seconds") == {"worldbank": 30 * 86400, "vn_provinces": 30 * 86400}
    assert gauges.series("tributary_source_overdue") == {"worldbank": 1, "vn_provinces": 0}
