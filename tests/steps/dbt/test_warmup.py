"""The dbt warm-up: one saved parse serves every lake, and a failed warm-up leaves the process as it was."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest

from steps.dbt import warmup
from steps.dbt.runner import PARTIAL_PARSE

DBT_PROJECT = Path(__file__).resolve().parents[3] / "dbt"


@pytest.fixture
def machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A machine of its own: the shared parse cache lives under the temp dir, so point that at ``tmp_path``."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    monkeypatch.setenv("TRIBUTARY_TARGET", "local")
    monkeypatch.setenv("TRIBUTARY_DBT_PROJECT_DIR", str(DBT_PROJECT))
    monkeypatch.setenv("DO_NOT_TRACK", "1")
    monkeypatch.delenv("TRIBUTARY_CONFIG", raising=False)
    monkeypatch.delenv("TRIBUTARY_DUCKDB_PATH", raising=False)
    return tmp_path


def _parse_for(machine: Path, monkeypatch: pytest.MonkeyPatch, lake: str) -> dict[str, int]:
    monkeypatch.setenv("TRIBUTARY_LAKE", str(machine / lake))
    monkeypatch.setenv("TRIBUTARY_DBT_WORK_DIR", str(machine / f"work-{lake}"))
    (machine / lake).mkdir()
    assert warmup.prepare() is True
    perf = json.loads((machine / f"work-{lake}/target/perf_info.json").read_text())
    return {"parsed": perf["parsed_path_count"], "paths": perf["path_count"]}


def test_a_saved_parse_serves_a_second_lake(machine: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = _parse_for(machine, monkeypatch, "lake-a")
    assert first["parsed"] > 50  # nothing saved yet on this machine: a full parse
    assert list((machine / "tmp/tributary-dbt-parse").glob(f"*/{PARTIAL_PARSE}"))
    # Neither the lake nor the warehouse path is part of the parse: a new lake re-parses nothing.
    second = _parse_for(machine, monkeypatch, "lake-b")
    assert second == {"parsed": 0, "paths": first["paths"]}


def test_prepare_restores_the_directory_and_environment(machine: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRIBUTARY_LAKE", str(machine / "lake"))
    monkeypatch.setenv("TRIBUTARY_DBT_WORK_DIR", str(machine / "work"))
    (machine / "lake").mkdir()
    cwd, environ = os.getcwd(), dict(os.environ)
    assert warmup.prepare() is True
    assert os.getcwd() == cwd and dict(os.environ) == environ


def test_a_failing_warm_up_reports_false_and_changes_nothing(machine: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRIBUTARY_LAKE", raising=False)  # the stage settings cannot load
    environ = dict(os.environ)
    assert warmup.prepare() is False
    assert dict(os.environ) == environ
    assert not (machine / "tmp/tributary-dbt-parse").exists()


def test_main_parses_with_a_throwaway_lake(machine: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRIBUTARY_LAKE", raising=False)
    monkeypatch.delenv("TRIBUTARY_DBT_WORK_DIR", raising=False)
    assert warmup.main() == 0
    assert list((machine / "tmp/tributary-dbt-parse").glob(f"*/{PARTIAL_PARSE}"))
    assert not list((machine / "tmp").glob("tributary-warmup-*"))  # the throwaway lake is gone
