"""A failing ``dbt build``: the stage result names every failing test, so the run report and the alert can."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.conftest import REPO, StageEnv, write_config
from workflows.replay.server import ReplayServer

# A singular test of the silver layer that every ingested province fails: a real dbt test failing for real.
FAILING_TEST = """{{ config(tags=['silver']) }}
select province_code from {{ ref('stg_vn_provinces__provinces') }} where province_code is not null
"""


def test_a_failing_test_is_recorded_by_name_with_the_counts(tmp_path: Path, replay_server: ReplayServer) -> None:
    project = tmp_path / "dbt-project"
    shutil.copytree(REPO / "dbt", project, ignore=shutil.ignore_patterns("target", "logs"))
    (project / "data-tests" / "assert_no_province_has_a_code.sql").write_text(FAILING_TEST)
    config = write_config(tmp_path / "pipeline.yaml", replay_server)
    doc = config.read_text().replace("  worldbank:\n", "  worldbank:\n    enabled: false\n", 1)
    config.write_text(doc)
    stage = StageEnv(
        lake=str(tmp_path / "lake"),
        config=config,
        extra={
            "TRIBUTARY_DBT_PROJECT_DIR": str(project),
            "TRIBUTARY_DBT_WORK_DIR": str(tmp_path / "dbt-work"),
            "DO_NOT_TRACK": "1",
        },
    )
    assert stage.run("ingest", "--source", "vn_provinces", "--run-id", "r1").returncode == 0

    proc = stage.run("dbt", "--layer", "silver", "--run-id", "r1")

    assert proc.returncode == 2, proc.stderr[-3000:]
    assert "test assert_no_province_has_a_code: Got 63 results" in proc.stderr.splitlines()[-1]
    result = json.loads((tmp_path / "lake/reports/r1/stages/dbt-silver.json").read_text())
    assert [f.split(":")[0] for f in result["metrics"]["failures"]] == ["test assert_no_province_has_a_code"]
    assert result["metrics"]["counts"]["test"]["fail"] == 1
    assert result["metrics"]["counts"]["model"]["success"] >= 3
