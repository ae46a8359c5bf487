"""The run report of a backfill says so: which source, which range, and that freshness and watermark stay."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import StageEnv

LINE = (
    "Backfill of worldbank for 2000:2005: only worldbank ingested (not its last success, so freshness is as before; "
    "its watermark never moves back); silver and gold rebuilt."
)


def test_the_summary_of_a_backfill_says_what_was_backfilled(local_stage: StageEnv) -> None:
    assert local_stage.run("freshness", "--run-id", "bf", "--backfill", "worldbank:2000:2005").returncode == 0
    ingest = local_stage.run("ingest", "--source", "worldbank", "--run-id", "bf", "--backfill", "2000:2005")
    assert ingest.returncode == 0, ingest.stderr

    proc = local_stage.run("summary", "--run-id", "bf")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[:2] == ["Run bf: SUCCEEDED (tasks as Argo pods)", LINE]
    lake = Path(local_stage.lake)
    summary = json.loads((lake / "reports/bf/summary.json").read_text())
    assert summary["backfill"] == {"source": "worldbank", "range": "2000:2005"}
    sources = {s["source"]: (s["status"], s["reason"]) for s in summary["sources"]}
    assert sources == {
        "worldbank": ("succeeded", "backfill 2000:2005"),
        "vn_provinces": ("skipped", "backfill of worldbank"),
    }
    assert LINE in (lake / "reports/bf/summary.md").read_text().splitlines()
