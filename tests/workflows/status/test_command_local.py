"""``tributary status`` on a folder lake after real runs: clean, verify failing, a source past its SLA."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.cli import REPO, clean_env
from tests.conftest import write_config
from tests.workflows.status.conftest import as_json, config_with, status, table_rows
from workflows.replay.faults import Fault
from workflows.replay.server import PRE_REFORM_SNAPSHOT, ReplayServer

pytestmark = pytest.mark.e2e


def _first_of_next_month(now: datetime) -> datetime:
    year, month = (now.year + 1, 1) if now.month == 12 else (now.year, now.month + 1)
    return datetime(year, month, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def failed_lake(clean_lake: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The clean lake, then a run (``second``) whose verify fails: the World Bank API answers 404 to its probe."""
    lake = tmp_path_factory.mktemp("failed") / "lake"
    shutil.copytree(clean_lake, lake)
    with ReplayServer(snapshot=PRE_REFORM_SNAPSHOT) as server:
        config = write_config(lake.parent / "pipeline.yaml", server)
        server.add_fault(Fault(path=r"^/worldbank/", status=404))
        proc = subprocess.run(
            [sys.executable, "-m", "workflows.cli", "run", "--lake", str(lake), "--config", str(config)]
            + ["--run-id", "second"],
            env=clean_env(),
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
            cwd=REPO,
        )
    assert proc.returncode == 2, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert (lake / "reports" / "second" / "summary.json").exists()
    return lake


def test_after_a_clean_run_every_source_is_ok_and_the_exit_code_is_0(clean_lake: Path) -> None:
    proc = status("--lake", str(clean_lake))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rows = table_rows(proc.stdout)
    assert set(rows) == {"worldbank", "vn_provinces"}
    state = json.loads((clean_lake / "state" / "vn_provinces.json").read_text())
    for row in rows.values():
        assert row[1] == "OK" and row[3] == "first" and row[-3] == "ingested", row  # by the newest run
    assert rows["vn_provinces"][4] == f"{sum(state['last_success']['rows'].values()):,}"
    assert "Last run: first SUCCEEDED" in proc.stdout
    assert "Gates: bronze passed (run first), gold passed (run first)" in proc.stdout
    assert "Next scheduled run: none known" in proc.stdout
    assert proc.stdout.rstrip().endswith("All sources OK or due, last run succeeded (exit 0)")


def test_the_environment_gives_the_next_scheduled_run(clean_lake: Path) -> None:
    proc = status("--lake", str(clean_lake), "--env", "dev", "--json")
    doc = as_json(proc)
    assert proc.returncode == 0
    now = datetime.fromisoformat(doc["generated_at"])
    assert doc["schedule"] == {
        "expressions": ["0 0 1 * *"],
        "timezone": "UTC",
        "origin": "environment dev",
        "suspended": False,
    }
    assert datetime.fromisoformat(doc["next_run"]) == _first_of_next_month(now)
    assert doc["grace_s"] == 3600 + 7200  # dev: startingDeadlineSeconds + activeDeadlineSeconds
    worldbank = next(s for s in doc["sources"] if s["source"] == "worldbank")
    state = json.loads((clean_lake / "state" / "worldbank.json").read_text())["last_success"]
    assert worldbank["last_success"]["run_id"] == "first"
    assert worldbank["last_success"]["rows"] == state["rows"]
    assert datetime.fromisoformat(worldbank["last_success"]["finished_at"]) == datetime.fromisoformat(
        state["finished_at"]
    )
    # due 30 days after the ingest; overdue once the first monthly run after that has had its 3 hours
    due = datetime.fromisoformat(worldbank["due_at"])
    assert (due - datetime.fromisoformat(state["finished_at"])).days == 30
    assert datetime.fromisoformat(worldbank["overdue_at"]) == _first_of_next_month(due).replace(hour=3)
    assert worldbank["state"] == "ok" and worldbank["last_run"]["outcome"] == "ingested"
    assert doc["gates"]["bronze"] == {"run_id": "first", "outcome": "passed", "detail": ""}
    assert doc["last_run"]["status"] == "succeeded" and doc["problems"] == []


def test_after_a_failed_verify_the_failed_task_and_its_reason_are_shown(failed_lake: Path) -> None:
    proc = status("--lake", str(failed_lake))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Last run: second FAILED" in proc.stdout
    reason = next(line.strip() for line in proc.stdout.splitlines() if line.strip().startswith("verify: "))
    assert "1 of 4 checks failed: source worldbank" in reason and "HTTP 404" in reason, reason
    rows = table_rows(proc.stdout)
    # the sources are still the clean run's (named: not the newest): verify failed before any was touched
    assert all(row[1] == "OK" and row[-3] == "ingested (first)" for row in rows.values()), rows
    problems = proc.stdout.split("Needs attention (exit 1):")[1].strip().splitlines()
    assert len(problems) == 1 and problems[0].startswith("- last run second failed at verify: 1 of 4 checks failed")
    doc = as_json(status("--lake", str(failed_lake), "--json"))
    assert doc["last_run"]["run_id"] == "second" and doc["last_run"]["status"] == "failed"
    assert [t["task"] for t in doc["last_run"]["failed_tasks"]] == ["verify"]


def test_a_source_past_its_sla_is_due_then_overdue(clean_lake: Path, tmp_path: Path) -> None:
    # the same lake, read with an SLA of about a second for the World Bank: its ingest is older than that
    config = config_with(tmp_path / "pipeline.yaml", worldbank={"max_age_days": 0.00001})
    proc = status("--lake", str(clean_lake), "--config", str(config))
    assert proc.returncode == 0, proc.stdout + proc.stderr  # due: the next run (within 6 h) takes it
    rows = table_rows(proc.stdout)
    assert rows["worldbank"][1] == "due" and rows["worldbank"][6] == "1s"
    assert rows["vn_provinces"][1] == "OK"

    overdue = status("--lake", str(clean_lake), "--config", str(config), "--grace", "0s")
    assert overdue.returncode == 1, overdue.stdout + overdue.stderr
    assert table_rows(overdue.stdout)["worldbank"][1] == "OVERDUE"
    problems = overdue.stdout.split("Needs attention (exit 1):")[1].strip().splitlines()
    assert len(problems) == 1 and problems[0].startswith("- worldbank is overdue: last ingest "), problems
    assert "(run first), max_age 1s, overdue since " in problems[0]

    # with a monthly schedule the run that must take it is the 1st of next month: due until then
    monthly = as_json(status("--lake", str(clean_lake), "--config", str(config), "--schedule", "0 0 1 * *", "--json"))
    worldbank = next(s for s in monthly["sources"] if s["source"] == "worldbank")
    due = datetime.fromisoformat(worldbank["due_at"])
    assert worldbank["state"] == "due"
    assert datetime.fromisoformat(worldbank["overdue_at"]) == _first_of_next_month(due).replace(hour=6)


def test_quota_counts_kept_in_the_lake(clean_lake: Path, tmp_path: Path) -> None:
    # the clean run had no daily quota; the count file is the ingest's format, for the World Bank's account
    lake = tmp_path / "lake"
    shutil.copytree(clean_lake / "state", lake / "state")
    shutil.copytree(clean_lake / "reports", lake / "reports")
    config = config_with(tmp_path / "pipeline.yaml", worldbank={"daily_quota": 100})
    count = lake / "state" / "_quota" / "worldbank-worldbank.json"
    count.parent.mkdir()
    today = datetime.now(UTC).date()
    count.write_text(json.dumps({"account": "worldbank-worldbank", "day": today.isoformat(), "used": 42}))
    assert table_rows(status("--lake", str(lake), "--config", str(config)).stdout)["worldbank"][-2] == "42/100"
    count.write_text(json.dumps({"account": "worldbank-worldbank", "day": "2020-01-01", "used": 99}))
    assert table_rows(status("--lake", str(lake), "--config", str(config)).stdout)["worldbank"][-2] == "0/100"
    count.write_text("{")  # damaged: unknown, and no traceback
    proc = status("--lake", str(lake), "--config", str(config))
    assert proc.returncode == 0 and table_rows(proc.stdout)["worldbank"][-2] == "?/100", proc.stderr
