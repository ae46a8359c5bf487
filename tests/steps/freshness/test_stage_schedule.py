"""``python -m steps.freshness --schedule … --scheduled-at …`` on a lake a real ingest wrote."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from steps.freshness.trigger import when
from steps.schedule import Schedule
from tests.conftest import StageEnv

MONTHLY = "0 0 1 * *"


def _decisions(stage: StageEnv, run_id: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((Path(stage.lake) / f"reports/{run_id}/freshness.json").read_text())
    return doc


def test_scheduled_runs_judge_a_real_ingest_by_its_period(local_stage: StageEnv, tmp_path: Path) -> None:
    started = datetime.now(UTC)
    assert local_stage.run("ingest", "--source", "worldbank", "--run-id", "r1").returncode == 0
    monthly = Schedule.parse(MONTHLY)
    this_period = monthly.previous(started)
    out = tmp_path / "out"

    # The run of the period the ingest happened in: worldbank was ingested in it, vn_provinces never was.
    same = local_stage.run(
        "freshness",
        "--run-id",
        "r2",
        "--outputs",
        str(out),
        "--schedule",
        MONTHLY,
        "--scheduled-at",
        this_period.isoformat(),
    )
    assert same.returncode == 0, same.stderr
    assert (out / "worldbank").read_text() == "false" and (out / "vn_provinces").read_text() == "true"
    doc = _decisions(local_stage, "r2")
    assert doc["schedule"] == {
        "expressions": MONTHLY,
        "timezone": "UTC",
        "scheduled_at": this_period.isoformat(),
        "period_start": this_period.isoformat(),
        "next_at": monthly.next(this_period).isoformat(),
    }
    worldbank = doc["decisions"][0]
    assert worldbank["rule"] == "schedule" and worldbank["reason"].startswith("fresh: ingested in this period")

    # A run two periods on (a month after the next): the ingest belongs to an earlier period, so it is due.
    later = monthly.next(monthly.next(this_period))
    due = local_stage.run(
        "freshness", "--run-id", "r3", "--outputs", str(out), "--schedule", MONTHLY, "--scheduled-at", later.isoformat()
    )
    assert due.returncode == 0, due.stderr
    assert (out / "worldbank").read_text() == "true"
    reason = _decisions(local_stage, "r3")["decisions"][0]["reason"]
    assert reason.startswith(f"scheduled run of {when(later)}: last ingest ") and "is before this period" in reason

    # The template's empty parameters, as a run submitted by hand gets them: max_age_days decides.
    manual = local_stage.run(
        "freshness", "--run-id", "r4", "--outputs", str(out), "--schedule", "", "--timezone", "", "--scheduled-at", ""
    )
    assert manual.returncode == 0, manual.stderr
    doc = _decisions(local_stage, "r4")
    assert doc["schedule"] is None and (out / "worldbank").read_text() == "false"
    assert doc["decisions"][0]["reason"].startswith("fresh: last ingest") and doc["decisions"][0]["rule"] == "max_age"


def test_an_unresolved_argo_variable_is_refused_in_one_line(local_stage: StageEnv) -> None:
    proc = local_stage.run(
        "freshness", "--run-id", "r1", "--schedule", MONTHLY, "--scheduled-at", "{{workflow.scheduledTime}}"
    )
    assert proc.returncode == 2
    last = proc.stderr.splitlines()[-1]
    assert "--scheduled-at '{{workflow.scheduledTime}}' is an Argo variable that was not resolved" in last
    assert "Traceback" not in proc.stderr


def test_a_bad_schedule_is_refused_in_one_line(local_stage: StageEnv) -> None:
    proc = local_stage.run("freshness", "--run-id", "r1", "--schedule", "every month")
    assert proc.returncode == 2
    assert "schedule 'every month' is not a five-field cron expression" in proc.stderr.splitlines()[-1]
