"""The timeline of a run: each task's span ends when its stage finished and lasts its wall time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from steps.reports import StageResult
from steps.summary.timeline import task_timeline

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _result(task: str, start_s: float, duration_s: float) -> StageResult:
    start = T0 + timedelta(seconds=start_s)
    return StageResult(
        task=task,
        stage=task.split("-")[0],
        run_id="r1",
        status="succeeded",
        exit_code=0,
        started_at=start,
        finished_at=start + timedelta(seconds=duration_s),
        duration_s=duration_s,
    )


def test_spans_start_at_the_first_task_and_include_the_runners_wall_time() -> None:
    results = [_result("verify", 1.0, 2.0), _result("freshness", 4.0, 0.5), _result("validate-bronze", 5.0, 9.0)]
    tasks = [
        {"task": "verify", "phase": "Succeeded", "duration_s": 3.0},  # a second of process start before the stage
        {"task": "freshness", "phase": "Succeeded", "duration_s": 0.0},  # no runner time: the stage's own
        {"task": "validate-bronze", "phase": "Succeeded", "duration_s": 9.0},
        {"task": "held-back", "phase": "Skipped", "duration_s": 0.0},  # recorded nothing
    ]
    timeline = task_timeline(results, tasks)
    assert timeline["started_at"] == "2026-03-01T12:00:00+00:00"  # verify's process started a second early
    assert [(s["task"], s["start_s"], s["duration_s"]) for s in timeline["spans"]] == [
        ("verify", 0.0, 3.0),
        ("freshness", 4.0, 0.5),
        ("validate-bronze", 5.0, 9.0),
        ("held-back", None, 0.0),
    ]


def test_a_run_with_no_results_has_no_spans_to_place() -> None:
    timeline = task_timeline([], [{"task": "verify", "phase": "Failed", "duration_s": 1.0}])
    span = {"task": "verify", "phase": "Failed", "start_s": None, "duration_s": 1.0}
    assert timeline == {"started_at": None, "spans": [span]}
