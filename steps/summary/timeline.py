"""When each task ran: start and duration per task, for the run report's timeline chart (pure).

A stage records when it started and finished (its result); the orchestrator knows a task's wall time, which also
holds the process start and any retries. A task's span ends when its stage finished and lasts its wall time (the
stage's own time when no orchestrator reported one), so the chart shows what a person waited for. Tasks that
recorded nothing (skipped by a ``when``, killed before writing) have no span.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from steps.reports import StageResult


def task_timeline(results: list[StageResult], tasks: list[dict[str, Any]]) -> dict[str, Any]:
    """``{"started_at": ISO time of the first span, "spans": [{task, phase, start_s, duration_s}, …]}``.

    Args:
        results: The run's stage results (their ``finished_at`` anchors each span).
        tasks: The summary's tasks (``task``, ``phase``, ``duration_s``), in the order the chart lists them.
    """
    by_task = {r.task: r for r in results}
    spans: list[tuple[dict[str, Any], datetime | None, float]] = []
    for t in tasks:
        result = by_task.get(t["task"])
        if result is None:  # nothing anchors it in time; its wall time (if any) is still reported
            spans.append((t, None, float(t.get("duration_s") or 0.0)))
            continue
        wall = max(float(t.get("duration_s") or 0.0), result.duration_s)
        spans.append((t, result.finished_at - timedelta(seconds=wall), wall))
    starts = [start for _, start, _ in spans if start is not None]
    origin = min(starts) if starts else None
    return {
        "started_at": origin.isoformat() if origin else None,
        "spans": [
            {
                "task": t["task"],
                "phase": t["phase"],
                "start_s": round((start - origin).total_seconds(), 3) if start and origin else None,
                "duration_s": round(wall, 3),
            }
            for t, start, wall in spans
        ],
    }
