"""Every source with a time dimension backfills: freshness hands the range on, the ingest fetches only it.

The keyed APIs (FRED, EIA, NOAA) through the replay server and the files source on a folder; each backfill reaches
before the configured start, and neither the watermark nor the last success moves (Postgres: test_postgres.py).
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
import yaml

from tests.conftest import FAST_HTTP, StageEnv
from tests.steps.sources.helpers import KEYS, state, watermarks, write_pipeline
from workflows.replay.server import Quota, ReplayServer


def _backfill(stage: StageEnv, request: str, out: Path) -> str:
    """Run freshness with ``--backfill request``; the range it hands to the ingest task."""
    proc = stage.run("freshness", "--run-id", "bf", "--backfill", request, "--outputs", str(out))
    assert proc.returncode == 0, proc.stderr
    source = request.split(":", 1)[0]
    assert (out / source).read_text() == "true" and (out / "rebuild-layers").read_text() == "true"
    return (out / "backfill-range").read_text()


def _rows(lake: Path, source: str, dataset: str, run_id: str) -> list[dict[str, Any]]:
    return pq.read_table(next(lake.glob(f"bronze/{source}/{dataset}/*/{run_id}.parquet"))).to_pylist()


@pytest.mark.parametrize(
    ("source", "span", "column"),
    [
        ("fred", "2020-01-01:2020-03-31", "date"),
        ("eia", "2024-01-02:2024-01-31", "period_date"),
        ("noaa", "2024-01-01:2024-01-31", "date"),
    ],
)
def test_a_keyed_api_backfills_its_date_range(
    tmp_path: Path, replay_server: ReplayServer, source: str, span: str, column: str
) -> None:
    config = write_pipeline(tmp_path / "pipeline.yaml", replay_server, {source: {}})
    replay_server.set_quota(source, Quota(()))
    stage = StageEnv(lake=str(tmp_path / "lake"), config=config, extra=dict(KEYS))
    lake = Path(stage.lake)
    assert stage.run("ingest", "--source", source, "--run-id", "r1").returncode == 0
    before, marks = state(lake, source), watermarks(lake, source)

    handed = _backfill(stage, f"{source}:{span}", tmp_path / "out")
    assert handed == span
    proc = stage.run("ingest", "--source", source, "--run-id", "bf", "--backfill", handed)
    assert proc.returncode == 0, proc.stderr

    first, last = (date.fromisoformat(d) for d in span.split(":"))
    days = [r[column] for r in _rows(lake, source, "observations", "bf")]
    assert days and all(first <= d <= last for d in days)
    after = state(lake, source)
    assert after["last_success"] == before["last_success"] and after["history"][0]["backfill"] == span
    assert watermarks(lake, source) == marks and all(m > span[-10:] for m in marks.values())


def test_files_backfill_rereads_the_files_modified_in_the_range(tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    (drop / "fx").mkdir(parents=True)
    rates = drop / "fx" / "2026-01.csv"
    rates.write_text("rate_date,currency,rate\n2026-01-02,USD,25300.5\n")
    january = datetime(2026, 1, 31, 12, tzinfo=UTC).timestamp()
    os.utime(rates, (january, january))
    section = {
        "kind": "files",
        "location": str(drop),
        "datasets": [{"name": "fx_rates", "pattern": "fx/*.csv", "primary_key": ["rate_date", "currency"]}],
    }
    config = tmp_path / "pipeline.yaml"
    config.write_text(yaml.safe_dump({"http": FAST_HTTP, "sources": {"fx_files": section}}))
    stage = StageEnv(lake=str(tmp_path / "lake"), config=config, extra={})
    lake = Path(stage.lake)
    assert stage.run("ingest", "--source", "fx_files", "--run-id", "r1").returncode == 0
    assert stage.run("ingest", "--source", "fx_files", "--run-id", "r2").returncode == 0
    assert _rows(lake, "fx_files", "fx_rates", "r2") == []  # unchanged since r1: not read again
    before = state(lake, "fx_files")

    handed = _backfill(stage, "fx_files:2026-01-01:2026-01-31", tmp_path / "out")
    assert stage.run("ingest", "--source", "fx_files", "--run-id", "bf", "--backfill", handed).returncode == 0

    assert [r["currency"] for r in _rows(lake, "fx_files", "fx_rates", "bf")] == ["USD"]
    assert state(lake, "fx_files")["last_success"] == before["last_success"]
