"""``tributary run --launcher container``: the default pipeline with every task a container of its stage image.

The same rendered dev WorkflowTemplate, replay server and lake layout as the process run; gold must come out the
same, and the run's report names the launcher.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import duckdb
import pytest

from tests.cli import run_replay
from tests.containers.conftest import Images

pytestmark = pytest.mark.e2e
WALL_CLOCK_IDS = {"location_version_id", "dbt_scd_id"}  # hashes of a snapshot's valid-from time


def _run(lake: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_replay(lake, *args, timeout=1200)


def gold(lake: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every gold table's rows, sorted, without the columns a snapshot stamps with the wall clock.

    Those are the timestamps and the ids hashed from them (a version id is the unit plus when it became valid).
    """
    out = {}
    with duckdb.connect(str(lake / "warehouse.duckdb"), read_only=True) as con:
        tables = con.execute(
            "select table_name from information_schema.tables where table_schema = 'gold' order by 1"
        ).fetchall()
        for (table,) in tables:
            columns = [
                name
                for name, kind in con.execute(
                    "select column_name, data_type from information_schema.columns "
                    "where table_schema = 'gold' and table_name = ? order by ordinal_position",
                    [table],
                ).fetchall()
                if not kind.startswith("TIMESTAMP") and name not in WALL_CLOCK_IDS
            ]
            select = ", ".join(f'"{c}"' for c in columns)
            out[table] = sorted(con.execute(f"select {select} from gold.{table}").fetchall(), key=repr)
    return out


@pytest.fixture(scope="module")
def runs(images: Images, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The default pipeline once as containers and once as processes, each on a new lake."""
    lakes = {}
    for launcher in ("container", "process"):
        lake = tmp_path_factory.mktemp(launcher) / "lake"
        proc = _run(lake, "--launcher", launcher, "--run-id", f"first-{launcher}")
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        lakes[launcher] = lake
    return lakes


def test_containers_build_the_same_gold_as_processes(runs: dict[str, Path]) -> None:
    container, process = gold(runs["container"]), gold(runs["process"])
    assert set(container) >= {"dim_macro_indicators", "dim_location"}
    assert all(container[t] for t in container)
    assert container == process


def test_the_report_names_the_launcher_and_every_task_ran_as_a_container(runs: dict[str, Path]) -> None:
    summary = json.loads((runs["container"] / "reports/first-container/summary.json").read_text())
    assert summary["status"] == "succeeded" and summary["launcher"] == "container"
    phases = {t["task"]: t["phase"] for t in summary["tasks"]}
    assert phases.pop("held-back") == "Skipped"  # nothing held back by the bronze gate
    assert set(phases.values()) == {"Succeeded"}
    text = (runs["container"] / "reports/first-container/summary.md").read_text()
    assert "Tasks as containers of the stage images." in text
    # the containers ran as uid 10001 (the pods' user) and wrote the lake as that user
    assert (runs["container"] / "state/worldbank.json").stat().st_uid == 10001 or os.geteuid() != 0


def test_a_second_run_skips_everything_as_fresh(runs: dict[str, Path]) -> None:
    proc = _run(runs["container"], "--launcher", "container", "--run-id", "second-container")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    summary = json.loads((runs["container"] / "reports/second-container/summary.json").read_text())
    phases = {t["task"]: t["phase"] for t in summary["tasks"]}
    assert phases["ingest-worldbank"] == phases["ingest-vn-provinces"] == "Skipped"


def test_missing_images_are_named_before_anything_runs(engine: str, tmp_path: Path) -> None:
    proc = run_replay(
        tmp_path, "--launcher", "container", env={"TRIBUTARY_IMAGE_TAG": "0.0.0-never-built"}, timeout=300
    )
    assert proc.returncode == 2
    assert "images not built on this machine: tributary-dbt:0.0.0-never-built" in proc.stderr
    assert "Fix: make images" in proc.stderr
    assert not (tmp_path / "bronze").exists()
