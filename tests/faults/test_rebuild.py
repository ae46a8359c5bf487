"""A lost warehouse is rebuilt from the lake alone, gold's SCD2 history included (issue 12, findings 2 and 3).

The sequence of the finding: the default provinces snapshot, then the post-reform one forced. Deleting the
warehouse and running again must give back the same ``gold.dim_location``: 14,165 versions, 10,810 of them closed,
with ``--force`` (a new ingest) and without it (nothing new to ingest: the run must notice the warehouse is gone),
and ``tributary rebuild`` must too.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli import tributary
from tests.faults.pipeline import location_history, location_versions, run, silver_counts

REFORM = ("--snapshot", "2026-02-21")
HISTORY = {"rows": 14_165, "closed": 10_810, "current": 3_355, "duplicate_keys": 0}


@pytest.mark.e2e
def test_deleted_warehouse_is_rebuilt_with_its_history(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    for run_id, args in (("first", ()), ("reform", ("--force", *REFORM))):
        proc = run(lake, run_id, *args)
        assert proc.returncode == 0, proc.stderr
    assert location_history(lake) == HISTORY
    versions, silver = location_versions(lake), silver_counts(lake)

    # Forced: a third delivery (the same post-reform data) lands, and the history is replayed around it.
    (lake / "warehouse.duckdb").unlink()
    proc = run(lake, "forced-after-loss", "--force", *REFORM)
    assert proc.returncode == 0, proc.stderr
    assert location_history(lake) == HISTORY
    assert location_versions(lake) == versions
    assert silver_counts(lake) == silver

    # Not forced: every source is fresh and the layer state says built, but the warehouse is gone.
    (lake / "warehouse.duckdb").unlink()
    proc = run(lake, "plain-after-loss", *REFORM)
    assert proc.returncode == 0, proc.stderr
    summary = (lake / "reports/plain-after-loss/summary.md").read_text()
    assert "warehouse.duckdb is missing: rebuilding silver and gold's history" in summary  # it says why
    assert location_history(lake) == HISTORY
    assert location_versions(lake) == versions
    assert silver_counts(lake) == silver

    # On request, over a warehouse that is there.
    proc = tributary("rebuild", "--lake", str(lake))
    assert proc.returncode == 0, proc.stderr
    assert location_history(lake) == HISTORY
    assert location_versions(lake) == versions
    assert silver_counts(lake) == silver
