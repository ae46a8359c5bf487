"""The summary's line on what the run changed in silver, from the dbt silver stage's result."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from steps.reports import StageResult
from steps.summary.changes import changes_text, silver_changes
from steps.summary.render import render_markdown, render_text

NOW = datetime(2026, 3, 1, tzinfo=UTC)


def _silver(status: str, metrics: dict[str, Any]) -> StageResult:
    return StageResult(
        task="dbt-silver",
        stage="dbt",
        run_id="r2",
        status=status,  # type: ignore[arg-type]
        exit_code=0,
        started_at=NOW,
        finished_at=NOW,
        duration_s=1.0,
        metrics=metrics,
    )


RECORDED = {
    "worldbank": {"runs": ["r2"], "delivered": 33, "new": 0, "changed": 1},
    "vn_provinces": {"runs": ["r2"], "delivered": 10810, "new": 0, "changed": 0},
}


def test_changes_per_source_in_the_summary_and_both_reports() -> None:
    changes = silver_changes(_silver("succeeded", {"changes": RECORDED}))
    assert [(c["source"], c["delivered"], c["new"], c["changed"]) for c in changes] == [
        ("vn_provinces", 10810, 0, 0),
        ("worldbank", 33, 0, 1),
    ]
    summary = {"run_id": "r2", "status": "succeeded", "sources": [], "layers": [], "tasks": [], "changes": changes}
    line = (
        "Changes in silver: vn_provinces: 10,810 rows delivered, 0 new, 0 changed; "
        "worldbank: 33 rows delivered, 0 new, 1 changed"
    )
    assert changes_text(summary) == line
    assert line in render_text({**summary, "reports": "reports/r2"})
    assert line in render_markdown(summary)


def test_no_line_when_silver_merged_nothing() -> None:
    assert silver_changes(None) == []
    assert silver_changes(_silver("skipped", {"reason": "nothing new since the last build"})) == []
    summary = {"run_id": "r2", "status": "succeeded", "sources": [], "layers": [], "tasks": [], "changes": []}
    assert changes_text(summary) is None
    assert "Changes in silver" not in render_text({**summary, "reports": "reports/r2"})
