"""A lake path with an apostrophe reaches dbt's SQL quoted (issue 12, finding 6)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.faults.pipeline import location_history, query, run


@pytest.mark.e2e
def test_a_lake_path_with_an_apostrophe_builds_silver_and_gold(tmp_path: Path) -> None:
    lake = tmp_path / "o'brien's lake"
    proc = run(lake, "first")
    assert proc.returncode == 0, proc.stderr
    assert query(lake, "select count(*) from silver.stg_vn_provinces__provinces") == [(63,)]
    assert location_history(lake) == {"rows": 10_810, "closed": 0, "current": 10_810, "duplicate_keys": 0}
