"""Rejecting a batch: state rolled back exactly, files and manifest quarantined, every step repeatable."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from steps import layout
from steps.lake import Lake
from steps.state import IngestRecord, advance_state, read_state
from steps.validate.quarantine import finish_rejection, read_rejection, reject, rollback_state


def _record(run_id: str, day: int) -> IngestRecord:
    return IngestRecord(
        run_id=run_id,
        finished_at=datetime(2026, 3, day, tzinfo=UTC),
        manifest=layout.manifest("wb", run_id),
        rows={"values": day},
    )


def _state_bytes(lake: Lake) -> bytes | None:
    return lake.read_bytes(layout.state("wb")) if lake.exists(layout.state("wb")) else None


def test_rollback_restores_exactly_the_state_before_the_run(tmp_path: Path) -> None:
    lake = Lake(str(tmp_path))
    advance_state(lake, "wb", _record("r1", 1))
    advance_state(lake, "wb", _record("r2", 2))
    before = _state_bytes(lake)
    advance_state(lake, "wb", _record("r3", 3))

    assert rollback_state(lake, "wb", "r3") == "r2"
    assert _state_bytes(lake) == before
    assert rollback_state(lake, "wb", "r3") == "r2"  # again: nothing changes
    assert _state_bytes(lake) == before


def test_rollback_of_the_first_ingest_removes_the_state_file(tmp_path: Path) -> None:
    lake = Lake(str(tmp_path))
    advance_state(lake, "wb", _record("r1", 1))
    assert rollback_state(lake, "wb", "r1") is None
    assert not lake.exists(layout.state("wb"))
    assert read_state(lake, "wb").last_success is None  # freshness: "never ingested"
    assert rollback_state(lake, "wb", "r1") is None


def test_rollback_of_an_older_run_keeps_the_newer_last_success(tmp_path: Path) -> None:
    lake = Lake(str(tmp_path))
    advance_state(lake, "wb", _record("r1", 1))
    advance_state(lake, "wb", _record("r2", 2))
    assert rollback_state(lake, "wb", "r1") == "r2"
    state = read_state(lake, "wb")
    assert state.last_success is not None and state.last_success.run_id == "r2"
    assert [h.run_id for h in state.history] == ["r2"]


def test_reject_moves_files_and_manifest_out_of_bronze_and_records_why(tmp_path: Path) -> None:
    lake = Lake(str(tmp_path))
    path = "bronze/wb/values/ingest_date=2026-03-01/r1.parquet"
    lake.write_bytes(path, b"PAR1")
    manifest = {"source": "wb", "run_id": "r1", "datasets": {"values": {"path": path, "rows": 1}}, "streams": []}
    lake.write_json(layout.manifest("wb", "r1"), manifest)
    advance_state(lake, "wb", _record("r1", 1))

    record = reject(lake, "wb", "r1", manifest, ["wb.values: expect_x(y) 1 unexpected [2]"], "reports/r1/gx/x.html")

    assert record["complete"] and record["state_restored_to"] is None
    assert lake.list_files("bronze/wb") == []
    assert not lake.exists(layout.state("wb"))
    assert lake.list_files("quarantine/wb/r1") == [
        "quarantine/wb/r1/_manifest.json",
        "quarantine/wb/r1/rejection.json",
        "quarantine/wb/r1/values/ingest_date=2026-03-01/r1.parquet",
    ]
    stored = read_rejection(lake, "wb", "r1")
    assert stored is not None and stored["failures"] == ["wb.values: expect_x(y) 1 unexpected [2]"]
    assert stored["manifest"] == manifest and stored["files"] == [
        "quarantine/wb/r1/values/ingest_date=2026-03-01/r1.parquet"
    ]
    # finishing again is harmless
    assert finish_rejection(lake, stored)["complete"]
    assert len(lake.list_files("quarantine/wb/r1")) == 3
    assert read_rejection(lake, "wb", "r2") is None
