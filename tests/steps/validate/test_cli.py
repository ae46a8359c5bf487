"""The stage's command line and exit codes without a warehouse: bad arguments, missing gold, unreachable Trino."""

from __future__ import annotations

import socket
from pathlib import Path

from tests.conftest import StageEnv
from tests.steps.validate.conftest import lake_json, last_line


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _stage(tmp_path: Path, **extra: str) -> StageEnv:
    config = tmp_path / "pipeline.yaml"
    config.write_text(
        "sources:\n"
        "  worldbank: {base_url: 'http://127.0.0.1:9', indicators: [NY.GDP.MKTP.CD],\n"
        "              start_year: 2020, end_year: 2021}\n"
        "  vn_provinces: {base_url: 'http://127.0.0.1:9'}\n"
    )
    return StageEnv(lake=str(tmp_path / "lake"), config=config, extra=extra)


def test_unknown_suite_is_a_usage_error(tmp_path: Path) -> None:
    proc = _stage(tmp_path).run("validate", "--suite", "silver", "--run-id", "r1")
    assert proc.returncode == 2 and "invalid choice: 'silver'" in proc.stderr


def test_gold_gate_without_a_warehouse_is_bad_input(tmp_path: Path) -> None:
    proc = _stage(tmp_path).run("validate", "--suite", "gold", "--run-id", "r1")
    assert proc.returncode == 2, proc.stderr
    line = last_line(proc.stderr)
    assert "the DuckDB warehouse" in line and "does not exist" in line and "python -m steps.dbt" in line
    assert lake_json(_stage(tmp_path), "reports/r1/stages/validate-gold.json")["status"] == "failed"


def test_unreachable_trino_is_transient(tmp_path: Path) -> None:
    port = _free_port()  # nothing listens there
    stage = _stage(
        tmp_path,
        TRIBUTARY_TARGET="trino",
        DBT_TRINO_HOST="127.0.0.1",
        DBT_TRINO_PORT=str(port),
        DBT_TRINO_USER="tributary",
        DBT_TRINO_PASSWORD="s3cret-password",
    )
    proc = stage.run("validate", "--suite", "gold", "--run-id", "r1")
    assert proc.returncode == 75, proc.stderr
    line = last_line(proc.stderr)
    assert f"cannot query trino 127.0.0.1:{port}" in line and "Fix: check the warehouse is up" in line
    assert "s3cret-password" not in proc.stderr


def test_trino_target_without_a_host_is_a_config_error(tmp_path: Path) -> None:
    proc = _stage(tmp_path, TRIBUTARY_TARGET="trino", DBT_TRINO_HOST="").run(
        "validate", "--suite", "gold", "--run-id", "r1"
    )
    assert proc.returncode == 2, proc.stderr
    assert "DBT_TRINO_HOST is not set" in last_line(proc.stderr)
