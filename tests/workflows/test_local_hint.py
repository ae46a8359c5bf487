"""The local run's hint that an ingest is coming applies the freshness rule to the lake's state beforehand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from steps.lake import Lake
from steps.state import IngestRecord, advance_state
from workflows.local import LocalRun, ingest_expected

DEFAULT_SOURCES = ("worldbank", "vn_provinces")  # enabled in the packaged configuration, max_age 30 days


def _ingested(lake: Path, source: str, days_ago: float) -> None:
    finished = datetime.now(UTC) - timedelta(days=days_ago)
    advance_state(Lake(str(lake)), source, IngestRecord(run_id="r1", finished_at=finished, manifest="m", rows={}))


def test_a_fresh_lake_expects_an_ingest(tmp_path: Path) -> None:
    assert ingest_expected(LocalRun(run_id="r", lake=str(tmp_path), sources=())) is True


def test_every_source_fresh_expects_none_unless_forced(tmp_path: Path) -> None:
    for source in DEFAULT_SOURCES:
        _ingested(tmp_path, source, days_ago=1)
    assert ingest_expected(LocalRun(run_id="r", lake=str(tmp_path), sources=())) is False
    assert ingest_expected(LocalRun(run_id="r", lake=str(tmp_path), sources=(), force=True)) is True


def test_one_stale_source_expects_an_ingest(tmp_path: Path) -> None:
    _ingested(tmp_path, "worldbank", days_ago=1)
    _ingested(tmp_path, "vn_provinces", days_ago=31)
    assert ingest_expected(LocalRun(run_id="r", lake=str(tmp_path), sources=())) is True
    assert ingest_expected(LocalRun(run_id="r", lake=str(tmp_path), sources=("worldbank",))) is False


def test_unreadable_state_and_s3_lakes_say_yes(tmp_path: Path) -> None:
    (tmp_path / "state").mkdir()
    (tmp_path / "state/worldbank.json").write_text("{not json")
    assert ingest_expected(LocalRun(run_id="r", lake=str(tmp_path), sources=("worldbank",))) is True
    assert ingest_expected(LocalRun(run_id="r", lake="s3://bucket/lake", sources=())) is True
