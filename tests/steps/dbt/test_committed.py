"""The committed bronze file list, the replay steps and the readability check, on a local lake."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from steps.dbt.committed import BRONZE_FILES_ENV, bronze_files_env, bronze_index, deliveries, replay_steps
from steps.dbt.integrity import quarantine_unreadable, unreadable_reason
from steps.lake import Lake


def commit(lake: Path, source: str, run_id: str, finished_at: str, rows: int = 3) -> Path:
    """One run's file of dataset ``d`` and its manifest."""
    path = lake / f"bronze/{source}/d/ingest_date=2026-01-01/{run_id}.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table({"x": list(range(rows))}), path)
    manifest = {
        "source": source,
        "run_id": run_id,
        "finished_at": finished_at,
        "datasets": {"d": {"path": path.relative_to(lake).as_posix(), "rows": rows, "bytes": path.stat().st_size}},
    }
    (lake / f"bronze/{source}/_manifests").mkdir(parents=True, exist_ok=True)
    (lake / f"bronze/{source}/_manifests/{run_id}.json").write_text(json.dumps(manifest))
    return path


def test_only_files_a_manifest_names_are_listed_in_ingest_order(tmp_path: Path) -> None:
    commit(tmp_path, "a", "r2", "2026-01-02T00:00:00+00:00")
    commit(tmp_path, "a", "r1", "2026-01-01T00:00:00+00:00")
    commit(tmp_path, "b", "r1", "2026-01-01T00:00:01+00:00")
    (tmp_path / "bronze/a/d/ingest_date=2026-01-01/crashed.parquet").write_bytes(b"PAR1")  # no manifest
    (tmp_path / "bronze/a/_manifests/.r3.json.tmp").write_text("{}")  # a manifest being written
    lake = Lake(str(tmp_path))
    found = deliveries(lake, ["a", "b"])
    assert [(d.source, d.run_id) for d in found] == [("a", "r1"), ("b", "r1"), ("a", "r2")]
    index = bronze_index(lake, found)
    assert [Path(uri).name for uri in index["a"]["d"]] == ["r1.parquet", "r2.parquet"]
    assert json.loads(bronze_files_env(index)[BRONZE_FILES_ENV]) == index
    assert [[(d.source, d.run_id) for d in step] for step in replay_steps(found)] == [
        [("a", "r1"), ("b", "r1")],
        [("a", "r1"), ("b", "r1"), ("a", "r2")],
    ]


def test_a_truncated_or_missing_file_is_named_with_its_reason() -> None:
    sink = pa.BufferOutputStream()
    pq.write_table(pa.table({"x": [1, 2]}), sink)
    data = sink.getvalue().to_pybytes()
    assert unreadable_reason(data, len(data)) is None
    assert "the manifest committed" in (unreadable_reason(data[:-10], len(data)) or "")
    assert "PAR1" in (unreadable_reason(data[:-10], None) or "")


def test_an_unreadable_batch_is_quarantined_and_the_rest_kept(tmp_path: Path) -> None:
    commit(tmp_path, "a", "r1", "2026-01-01T00:00:00+00:00")
    broken = commit(tmp_path, "a", "r2", "2026-01-02T00:00:00+00:00")
    broken.write_bytes(broken.read_bytes()[:20])
    lake = Lake(str(tmp_path))
    kept, rejected = quarantine_unreadable(lake, deliveries(lake, ["a"]))
    assert [d.run_id for d in kept] == ["r1"]
    assert [r["run_id"] for r in rejected] == ["r2"]
    assert not broken.exists() and (tmp_path / "quarantine/a/r2/rejection.json").exists()
    assert [d.run_id for d in deliveries(lake, ["a"])] == ["r1"]
    assert quarantine_unreadable(lake, deliveries(lake, ["a"]))[1] == []  # checked once: nothing more to do
