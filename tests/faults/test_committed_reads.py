"""Readers read only what the manifests commit (issue 12, findings 1 and 4).

One lake goes through three runs: a clean first run; a forced World Bank run after a provinces file was left
visible without a manifest (a run killed between publishing the file and writing its manifest); a forced
provinces run after the World Bank's newest committed file was truncated. Silver must never read the uncommitted
file, and the truncated file's batch must be quarantined with its reason while the rest of the pipeline proceeds.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.faults.pipeline import REPO, location_history, query, run, silver_counts


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    lake = tmp_path_factory.mktemp("committed") / "lake"
    proc = run(lake, "first")
    assert proc.returncode == 0, proc.stderr
    return lake


def committed_rows(lake: Path, source: str, dataset: str) -> int:
    """Rows of ``dataset`` the source's manifests commit."""
    manifests = (lake / "bronze" / source / "_manifests").glob("*.json")
    return sum(json.loads(m.read_text())["datasets"][dataset]["rows"] for m in manifests)


def write_uncommitted_provinces(lake: Path) -> Path:
    """A visible provinces file with one made-up province (code 998) that no manifest names."""
    (committed,) = (lake / "bronze/vn_provinces/provinces").glob("*/first.parquet")
    table = pq.read_table(committed)
    row = {**table.slice(0, 1).to_pylist()[0], "code": 998, "name": "Uncommitted", "_run_id": "crashed"}
    path = committed.with_name("crashed.parquet")
    pq.write_table(pa.Table.from_pylist([row], schema=table.schema), path)
    return path


@pytest.mark.e2e
def test_a_visible_uncommitted_file_is_never_read(lake: Path) -> None:
    clean = silver_counts(lake)
    uncommitted = write_uncommitted_provinces(lake)
    proc = run(lake, "worldbank-again", "--force", "--sources", "worldbank")  # silver builds, provinces not ingested
    assert proc.returncode == 0, proc.stderr
    assert uncommitted.exists()  # still visible: only the provinces ingest cleans its leftovers
    assert query(lake, "select count(*) from silver.stg_vn_provinces__provinces where province_code = 998") == [(0,)]
    committed = committed_rows(lake, "vn_provinces", "provinces")
    assert query(lake, "select count(*) from bronze_vn_provinces.provinces") == [(committed,)]
    assert silver_counts(lake) == clean
    assert location_history(lake)["duplicate_keys"] == 0


@pytest.mark.e2e
def test_a_truncated_committed_file_is_quarantined_and_the_rest_proceeds(lake: Path) -> None:
    clean = silver_counts(lake)
    manifest = json.loads((lake / "bronze/worldbank/_manifests/worldbank-again.json").read_text())
    path = lake / manifest["datasets"]["indicator_values"]["path"]
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])

    proc = run(lake, "provinces-again", "--force", "--sources", "vn_provinces")
    assert proc.returncode == 0, proc.stderr
    rejection = json.loads((lake / "quarantine/worldbank/worldbank-again/rejection.json").read_text())
    assert rejection["complete"] and rejection["gate"] == "dbt-silver"
    assert "the manifest committed" in rejection["failures"][0], rejection
    assert not path.exists() and not (lake / "bronze/worldbank/_manifests/worldbank-again.json").exists()
    state = json.loads((lake / "state/worldbank.json").read_text())
    assert state["last_success"]["run_id"] == "first"  # rolled back: the next due ingest fetches it again
    assert silver_counts(lake) == clean
    assert location_history(lake)["duplicate_keys"] == 0
    silver = json.loads((lake / "reports/provinces-again/stages/dbt-silver.json").read_text())
    assert silver["metrics"]["quarantined"][0]["run_id"] == "worldbank-again"


@pytest.mark.e2e
def test_the_bronze_gate_rerun_after_a_dbt_quarantine_of_its_own_run_passes(lake: Path) -> None:
    """A retry of the gate in a run whose own batch the dbt stage quarantined: the gate did not reject it.

    The first rerun validates the batch the rollback made current again; the second has nothing new and finds
    only the dbt stage's rejection record under its run id, which is not the gate's failure (it exited 2 here).
    """
    assert (lake / "quarantine/worldbank/worldbank-again/rejection.json").exists()  # the test above
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRIBUTARY_")}
    for _ in range(2):
        gate = subprocess.run(
            [sys.executable, "-m", "steps.validate", "--suite", "bronze", "--run-id", "worldbank-again"],
            env={**env, "TRIBUTARY_LAKE": str(lake)},
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
            cwd=REPO,
        )
        assert gate.returncode == 0, gate.stderr[-2000:]
    record = json.loads((lake / "reports/worldbank-again/stages/validate-bronze.json").read_text())
    assert record["status"] == "skipped", json.dumps(record)
    assert any("quarantined by dbt-silver" in note for note in record["metrics"]["notes"]), json.dumps(record)
