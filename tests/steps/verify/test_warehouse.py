"""Verify's warehouse checks: the DuckDB file as a file, Trino over its client protocol; one line each."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.conftest import StageEnv
from tests.steps.verify.trino_standin import TrinoStandin


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _trino(stage: StageEnv, port: int, password: str | None = None) -> StageEnv:
    extra = {"TRIBUTARY_TARGET": "trino", "DBT_TRINO_HOST": "127.0.0.1", "DBT_TRINO_PORT": str(port)}
    extra |= {"DBT_TRINO_USER": "analyst"}
    if password is not None:
        extra["DBT_TRINO_PASSWORD"] = password
    return StageEnv(lake=stage.lake, config=stage.config, extra={**stage.extra, **extra})


def _lines(proc: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in proc.stderr.splitlines() if line.startswith("verify: warehouse")]


def test_trino_that_answers_passes_and_is_asked_a_query(local_stage: StageEnv) -> None:
    with TrinoStandin() as trino:
        proc = _trino(local_stage, trino.port).run("verify", "--run-id", "r1")
    assert proc.returncode == 0, proc.stderr
    post = next(r for r in trino.requests if r[0] == "POST")
    assert post[1] == "/v1/statement" and post[3] == b"SELECT 1" and post[2]["X-Trino-User"] == "analyst"
    assert any(r[0] == "GET" and r[1] == "/v1/statement/executing/q1/1" for r in trino.requests)


def test_unreachable_trino_is_transient_in_one_line(local_stage: StageEnv) -> None:
    port = _free_port()
    proc = _trino(local_stage, port).run("verify", "--run-id", "r1")
    assert proc.returncode == 75
    (line,) = _lines(proc)
    assert f"warehouse trino at 127.0.0.1:{port}" in line and "Fix: check the Trino service is up" in line
    assert "Traceback" not in proc.stderr


def test_a_failing_query_is_transient_and_names_trino_s_error(local_stage: StageEnv) -> None:
    with TrinoStandin(fail_with="NO_NODES_AVAILABLE") as trino:
        proc = _trino(local_stage, trino.port).run("verify", "--run-id", "r1")
    assert proc.returncode == 75
    (line,) = _lines(proc)
    assert "NO_NODES_AVAILABLE no worker nodes" in line


@pytest.mark.parametrize(("password", "code"), [("right-password-93", 0), ("wrong-password-17", 2)])
def test_a_password_means_basic_auth_over_https_and_a_refusal_is_bad_configuration(
    local_stage: StageEnv, tmp_path: Path, password: str, code: int
) -> None:
    with TrinoStandin(password="right-password-93", tls_dir=tmp_path) as trino:
        stage = _trino(local_stage, trino.port, password=password)
        stage.extra["REQUESTS_CA_BUNDLE"] = str(trino.cert)  # a private CA, as a cluster's Trino often has
        proc = stage.run("verify", "--run-id", "r1")
    assert proc.returncode == code, proc.stderr
    assert password not in proc.stderr
    if code:
        (line,) = _lines(proc)
        assert "refused user 'analyst' (HTTP 401)" in line and "DBT_TRINO_PASSWORD" in line


def test_duckdb_file_being_written_is_transient_and_a_foreign_file_is_bad_configuration(
    local_stage: StageEnv, tmp_path: Path
) -> None:
    warehouse = tmp_path / "wh" / "warehouse.duckdb"
    warehouse.parent.mkdir()
    stage = StageEnv(local_stage.lake, local_stage.config, {"TRIBUTARY_DUCKDB_PATH": str(warehouse)})
    assert stage.run("verify", "--run-id", "r1").returncode == 0  # absent: its folder is writable
    with duckdb.connect(str(warehouse)) as writer:  # a build holding the file
        writer.execute("create table t as select 1 as x")
        proc = stage.run("verify", "--run-id", "r2")
        assert proc.returncode == 75
        (line,) = _lines(proc)
        assert "another process is writing the DuckDB file" in line
    assert stage.run("verify", "--run-id", "r3").returncode == 0  # released: a real DuckDB file passes
    warehouse.write_bytes(b"not a database at all")
    proc = stage.run("verify", "--run-id", "r4")
    assert proc.returncode == 2
    (line,) = _lines(proc)
    assert "is not a DuckDB database file" in line


@pytest.mark.parametrize("target", ["local", "trino"])
def test_verify_loads_neither_duckdb_nor_the_trino_client(local_stage: StageEnv, target: str) -> None:
    # the verify image installs neither: the stage must not need them on any target
    code = (
        "import sys\nsys.modules['duckdb'] = None\nsys.modules['trino'] = None\n"
        "from steps.verify.__main__ import main\nsys.exit(main(['--run-id', 'r1']))"
    )
    with TrinoStandin() as trino:
        stage = _trino(local_stage, trino.port) if target == "trino" else local_stage
        proc = subprocess.run(
            [sys.executable, "-c", code], env=stage.env(), capture_output=True, text=True, check=False
        )
    assert proc.returncode == 0, proc.stderr
