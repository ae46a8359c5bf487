"""``tributary prepare``: a machine's one-time work done ahead, so that the first run finds it done."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from workflows.cli import main
from workflows.local.run import LocalRun, rendered_spec


def test_prepare_renders_the_spec_and_saves_the_dbt_parse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    machine_tmp = tmp_path / "tmp"
    machine_tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(machine_tmp))  # both caches live under the temp dir: an empty machine
    monkeypatch.setattr(tempfile, "tempdir", None)
    for var in ("TRIBUTARY_CONFIG", "TRIBUTARY_LAKE", "TRIBUTARY_DBT_WORK_DIR", "TRIBUTARY_DUCKDB_PATH"):
        monkeypatch.delenv(var, raising=False)

    assert main(["prepare"]) == 0

    rendered = list((machine_tmp / "tributary-render").glob("*.json"))
    assert len(rendered) == 1
    # what `tributary run` on the default sources looks up is exactly what prepare saved
    spec = rendered_spec(LocalRun(run_id="r", lake="lake", sources=("worldbank", "vn_provinces")), "dev")
    assert spec["kind"] == "WorkflowTemplate"
    assert list((machine_tmp / "tributary-render").glob("*.json")) == rendered
    assert list((machine_tmp / "tributary-dbt-parse").glob("*/partial_parse.msgpack"))
    assert not list(machine_tmp.glob("tributary-warmup-*"))
