"""``tributary run --replay`` wiring: which sources the replay serves, and the keys it gives them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from steps.config import load_config
from workflows.cli import _replay_keys, _replayed
from workflows.replay.registry import for_source


def _config(tmp_path: Path) -> Path:
    doc = yaml.safe_load((Path(__file__).resolve().parents[2] / "steps/defaults/pipeline.yaml").read_text())
    doc["sources"]["fred_daily"] = {**doc["sources"]["fred"], "kind": "fred", "api_key_env": "FRED_DAILY_API_KEY"}
    path = tmp_path / "pipeline.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def test_sources_are_served_by_their_kind(tmp_path: Path) -> None:
    config = load_config(_config(tmp_path))
    sources = ("worldbank", "vn_provinces", "fred", "fred_daily", "eia", "noaa", "app_db", "fx_files")
    assert _replayed(config, sources) == {
        "worldbank": "worldbank",
        "vn_provinces": "vn_provinces",
        "fred": "fred",
        "fred_daily": "fred",
        "eia": "eia",
        "noaa": "noaa",
    }
    assert _replayed(config, ("worldbank",)) == {"worldbank": "worldbank"}


def test_replayed_sources_get_the_replay_keys_for_the_run_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = load_config(_config(tmp_path))
    monkeypatch.setenv("FRED_API_KEY", "a-real-key-from-the-shell")
    monkeypatch.delenv("NOAA_TOKEN", raising=False)
    monkeypatch.delenv("EIA_API_KEY", raising=False)
    monkeypatch.delenv("FRED_DAILY_API_KEY", raising=False)
    monkeypatch.setenv("APP_DB_PASSWORD", "untouched")
    served = _replayed(config, ("fred", "fred_daily", "noaa", "app_db"))
    fred, noaa = for_source("fred"), for_source("noaa")
    assert fred is not None and noaa is not None
    with _replay_keys(config, served):
        assert os.environ["FRED_API_KEY"] == os.environ["FRED_DAILY_API_KEY"] == fred.key
        assert os.environ["NOAA_TOKEN"] == noaa.key
        assert "EIA_API_KEY" not in os.environ  # eia is not part of this run
        assert os.environ["APP_DB_PASSWORD"] == "untouched"  # no replay for Postgres
    assert os.environ["FRED_API_KEY"] == "a-real-key-from-the-shell"
    assert "FRED_DAILY_API_KEY" not in os.environ and "NOAA_TOKEN" not in os.environ
