"""Fixtures for the validate stage: bronze batches ingested the real way (replay server), copied per test."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.conftest import REPO, StageEnv, write_config
from workflows.replay.server import PRE_REFORM_SNAPSHOT, ReplayServer

RUN = "r1"


@dataclass
class Ingested:
    """A folder holding ``pipeline.yaml`` and ``lake/`` after real ingests; tests work on copies of it."""

    root: Path
    server: ReplayServer

    def copy(self, dst: Path) -> StageEnv:
        """A private copy of the lake and config, as a stage environment."""
        shutil.copytree(self.root, dst)
        return stage_env(dst)


def stage_env(root: Path, **extra: str) -> StageEnv:
    """Stages on ``root/lake`` with ``root/pipeline.yaml``; dbt builds the repo's project into ``root/dbt``."""
    return StageEnv(
        lake=str(root / "lake"),
        config=root / "pipeline.yaml",
        extra={
            "TRIBUTARY_DBT_PROJECT_DIR": str(REPO / "dbt"),
            "TRIBUTARY_DBT_WORK_DIR": str(root / "dbt"),
            "DO_NOT_TRACK": "1",
            **extra,
        },
    )


def run_ok(stage: StageEnv, module: str, *args: str) -> None:
    proc = stage.run(module, *args)
    assert proc.returncode == 0, f"{module} {args} failed:\n{proc.stderr[-3000:]}"


@pytest.fixture(scope="module")
def module_replay() -> Iterator[ReplayServer]:
    """One replay server for a whole test module (ingests in fixtures and tests share it)."""
    with ReplayServer(host="127.0.0.1", port=0, snapshot=PRE_REFORM_SNAPSHOT) as server:
        yield server


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory, module_replay: ReplayServer) -> Ingested:
    """Both sources ingested once through the replay server as run ``r1`` (nothing validated yet)."""
    root = tmp_path_factory.mktemp("ingested") / "template"
    root.mkdir()
    write_config(root / "pipeline.yaml", module_replay)
    stage = stage_env(root)
    for source in ("worldbank", "vn_provinces"):
        run_ok(stage, "ingest", "--source", source, "--run-id", RUN)
    return Ingested(root, module_replay)


# -- reading and corrupting the lake -------------------------------------------------------------------------------


def lake_json(stage: StageEnv, rel: str) -> Any:
    import json

    path = Path(stage.lake) / rel
    return json.loads(path.read_text()) if path.exists() else None


def bronze_file(stage: StageEnv, source: str, dataset: str, run_id: str = RUN) -> Path:
    manifest = lake_json(stage, f"bronze/{source}/_manifests/{run_id}.json")
    return Path(stage.lake) / manifest["datasets"][dataset]["path"]


def rewrite(
    stage: StageEnv, source: str, dataset: str, change: Callable[[list[dict[str, Any]]], None], run_id: str = RUN
) -> None:
    """Rewrite one committed bronze file in place, rows changed by ``change`` (same schema, same path)."""
    path = bronze_file(stage, source, dataset, run_id)
    table = pq.read_table(path)
    rows = table.to_pylist()
    change(rows)
    pq.write_table(pa.Table.from_pylist(rows, schema=table.schema), path)


def row(rows: list[dict[str, Any]], **match: Any) -> dict[str, Any]:
    """The one row whose columns equal ``match``."""
    (found,) = [r for r in rows if all(r[k] == v for k, v in match.items())]
    return found


def last_line(stderr: str) -> str:
    return stderr.strip().splitlines()[-1]
