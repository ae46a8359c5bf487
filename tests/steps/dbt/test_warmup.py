"""The dbt warm-up: one saved parse serves every lake, and a failed warm-up leaves the process as it was."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest

from steps.config import load_config
from steps.dbt import warmup
from steps.dbt.environment import activate_dbt_environment, prepare_dbt_environment
from steps.dbt.runner import PARTIAL_PARSE
from steps.dbt.settings import DbtSettings
from steps.lake import Lake
from steps.settings import load_settings

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


def _parses(work: Path) -> int:
    """How many times dbt parsed (read its saved parse back) in this work folder, from its debug log."""
    return (work / "logs/dbt.log").read_text().count("Partial parsing enabled:")


def test_the_next_command_starts_from_the_warm_up_s_parse_unless_its_inputs_changed(
    machine: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tmp_path = machine
    # A saved parse for these very inputs, as `make setup` leaves one: the warm-up then re-parses nothing, as in a
    # run. Not the machine's shared one, which whichever test or run parsed last (other sources, other variables)
    # may have replaced, and dbt re-parses from scratch without saying "Partial parsing enabled".
    _parse_for(machine, monkeypatch, "seed")
    for name, value in {
        "TRIBUTARY_TARGET": "local",
        "TRIBUTARY_DBT_PROJECT_DIR": str(DBT_PROJECT),
        "TRIBUTARY_LAKE": str(tmp_path / "lake"),
        "TRIBUTARY_DBT_WORK_DIR": str(tmp_path / "work"),
        "TRIBUTARY_DBT_LOG_LEVEL": "debug",
        "DO_NOT_TRACK": "1",
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("TRIBUTARY_CONFIG", "TRIBUTARY_DUCKDB_PATH", "DBT_TRINO_HOST"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "lake").mkdir()
    settings = load_settings(DbtSettings)
    lake = Lake(str(tmp_path / "lake"))
    project = settings.project(lake.uri(), load_config(None).enabled_sources())

    def listed() -> bool:
        """``dbt ls`` as the dbt stage runs a command: in the DuckDB file's folder, with its environment."""
        monkeypatch.chdir(tmp_path)
        activate_dbt_environment(prepare_dbt_environment(lake, settings))
        return bool(project.invoke("ls", "--select", "tag:gold", "--output", "name").success)

    assert warmup.prepare() is True
    assert listed() and _parses(tmp_path / "work") == 1  # the warm-up's parse, nothing read back
    assert listed() and _parses(tmp_path / "work") == 2  # once only: the next command parses as usual
    assert warmup.prepare() is True
    monkeypatch.setenv("DBT_TRINO_HOST", "elsewhere")  # a variable the profile reads changed since the warm-up
    assert listed() and _parses(tmp_path / "work") == 4


def test_the_warm_up_compiles_the_macros_the_builds_call(machine: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dbt_common.clients.jinja import template_cache

    from steps.dbt.runner import parsed_ahead

    monkeypatch.setenv("TRIBUTARY_LAKE", str(machine / "lake"))
    monkeypatch.setenv("TRIBUTARY_DBT_WORK_DIR", str(machine / "work"))
    (machine / "lake").mkdir()
    template_cache.clear()  # what earlier dbt commands of this process compiled
    assert warmup.prepare() is True
    macros = parsed_ahead().macros
    compiled = {unique_id for unique_id, macro in macros.items() if macro.macro_sql in template_cache.file_cache}
    # The materializations the layers use on DuckDB, the project's macros the models call, and the adapter's own.
    assert {
        "macro.dbt_duckdb.materialization_incremental_duckdb",
        "macro.dbt_duckdb.materialization_table_duckdb",
        "macro.dbt.materialization_test_default",
        "macro.dbt.materialization_snapshot_default",
        "macro.tributary.row_hash",
        "macro.dbt_duckdb.duckdb__list_relations_without_caching",
    } <= compiled
    assert "macro.dbt.get_catalog" not in compiled  # docs only: not a build's
    assert 100 < len(compiled) < 300  # the builds' few hundred, not all 559 macros of the manifest
