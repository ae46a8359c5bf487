"""Stage results: every stage task leaves one small JSON record under ``reports/<run_id>/stages/``."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel

from steps import layout
from steps.lake import Lake

Status = Literal["succeeded", "failed", "skipped"]


class StageResult(BaseModel):
    """What one stage task did: its outcome, timing and metrics (rows, pages, tests, …)."""

    task: str
    stage: str
    run_id: str
    status: Status
    exit_code: int
    error: str | None = None
    started_at: datetime
    finished_at: datetime
    duration_s: float
    metrics: dict[str, Any] = {}


def write_result(lake: Lake, result: StageResult) -> None:
    """Store a stage result."""
    lake.write_json(layout.stage_result(result.run_id, result.task), result.model_dump(mode="json"))


def read_results(lake: Lake, run_id: str) -> list[StageResult]:
    """Every stage result of a run, ordered by start time."""
    prefix = f"{layout.report_dir(run_id)}/stages/"
    results = [
        StageResult.model_validate(lake.read_json(rel))
        for rel in lake.list_files(prefix)
        if rel.endswith(".json") and not rel.rsplit("/", 1)[1].startswith(".")
    ]
    return sorted(results, key=lambda r: r.started_at)
