"""``tributary run --replay --schedule …`` as a laptop crontab line runs it: once per period of the schedule."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from steps.freshness.trigger import when
from steps.schedule import Schedule
from tests.cli import run_replay

pytestmark = pytest.mark.e2e

MONTHLY = "0 0 1 * *"


def _report(lake: Path, run_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    freshness = json.loads((lake / f"reports/{run_id}/freshness.json").read_text())
    summary = json.loads((lake / f"reports/{run_id}/summary.json").read_text())
    return freshness, {s["source"]: s for s in summary["sources"]}


def test_a_schedule_period_ingests_once(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    this_period = Schedule.parse(MONTHLY).previous(datetime.now(UTC))

    first = run_replay(lake, "--schedule", MONTHLY, "--run-id", "first")
    assert first.returncode == 0, first.stdout + first.stderr
    assert f"tributary run first: scheduled run of {when(this_period)} of '{MONTHLY}' (UTC)" in first.stderr
    freshness, sources = _report(lake, "first")
    assert freshness["schedule"]["period_start"] == this_period.isoformat()
    assert sources["worldbank"]["status"] == sources["vn_provinces"]["status"] == "succeeded"

    # The crontab firing again in the same period (or a rerun after a failure elsewhere): nothing to ingest.
    again = run_replay(lake, "--schedule", MONTHLY, "--run-id", "again")
    assert again.returncode == 0, again.stdout + again.stderr
    _, sources = _report(lake, "again")
    assert sources["worldbank"]["status"] == sources["vn_provinces"]["status"] == "skipped"
    assert sources["worldbank"]["reason"].startswith("fresh: ingested in this period (last ingest ")

    # The run of a later period ingests, whatever the age in days says.
    later = Schedule.parse(MONTHLY).next(Schedule.parse(MONTHLY).next(this_period))
    nxt = run_replay(lake, "--schedule", MONTHLY, "--scheduled-at", later.isoformat(), "--run-id", "later")
    assert nxt.returncode == 0, nxt.stdout + nxt.stderr
    _, sources = _report(lake, "later")
    assert sources["worldbank"]["status"] == sources["vn_provinces"]["status"] == "succeeded"
    assert sources["worldbank"]["reason"].startswith(f"scheduled run of {when(later)}: last ingest ")
